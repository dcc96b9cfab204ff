import StargraphCore

/// A run being executed by one process outside a scheduler (`stargraph run`, `resume`), held in
/// the store from before its first step until it stops.
///
/// While it is held, ``RunStore/claimExecution(runId:by:command:)`` refuses the run to every other
/// process, so two `resume`s of one run never both execute its step (and a side-effecting node
/// never acts twice). A holder that dies without releasing it stops counting at once on its host
/// (its pid is gone) and after ``SchedulerProcess/staleHeartbeat`` elsewhere.
package struct RunExecutionClaim: Sendable {
    /// The run held.
    package let runId: String
    package let process: SchedulerProcess
    package let store: any RunStore
    private let heartbeat: Task<Void, Never>

    package init(runId: String, process: SchedulerProcess, store: any RunStore) {
        self.runId = runId
        self.process = process
        self.store = store
        heartbeat = Task {
            while (try? await Task.sleep(for: SchedulerProcess.heartbeatInterval)) != nil {
                try? await store.refreshExecution(runId: runId, by: process)
            }
        }
    }

    /// Gives the run up; other processes may execute it from now on.
    package func release() async {
        heartbeat.cancel()
        try? await store.releaseExecution(runId: runId, by: process)
    }
}

/// Who executes a run now, when ``RunStore/claimExecution(runId:by:command:)`` refuses it.
public struct RunExecutionHolder: Sendable, CustomStringConvertible {
    /// The holder's process id and host.
    public let pid: Int32
    public let host: String
    /// What it is: a command line of `stargraph`, or `stargraph serve`.
    public let command: String

    public var description: String { "\(command) (pid \(pid) on \(host))" }

    public init(pid: Int32, host: String, command: String) {
        self.pid = pid
        self.host = host
        self.command = command
    }
}
