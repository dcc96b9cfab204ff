import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scheduler process that claims queue rows, identified so that other processes sharing the
/// database can tell a live claim from the claim of a killed process.
///
/// On one host a claim is dead as soon as its process is gone (checked with the pid and, on Linux,
/// the process start time, so a reused pid is not mistaken for the old process). Claims from
/// another host (a database on shared storage) are dead once their heartbeat is
/// ``staleHeartbeat`` old.
package struct SchedulerProcess: Sendable {
    /// How often a running scheduler refreshes its `scheduler_processes.heartbeat_at`.
    package static let heartbeatInterval: Duration = .seconds(5)
    /// A heartbeat older than this marks a process of another host dead.
    package static let staleHeartbeat: TimeInterval = 30

    /// `<host>/<pid>/<random>`: unique even for several schedulers in one process.
    package let id: String
    package let host: String
    package let pid: Int32
    /// The kernel's start time of the process (`/proc/<pid>/stat` field 22), when known.
    package let startTicks: String?

    /// This process, with a fresh random suffix.
    package static func current() -> SchedulerProcess {
        let host = hostName()
        let pid = getpid()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        return SchedulerProcess(id: "\(host)/\(pid)/\(suffix)", host: host, pid: pid, startTicks: startTicks(of: pid))
    }

    /// Whether the scheduler process described by `row` still runs, seen from this process.
    package func considersAlive(_ row: SchedulerProcessRow, now: Date = Date()) -> Bool {
        guard row.host == host else {
            return now.timeIntervalSince(row.heartbeatAt) < Self.staleHeartbeat
        }
        guard Self.exists(pid: row.pid) else { return false }
        guard let stat = ProcStat(pid: String(row.pid)) else { return true }
        // A zombie (killed, not yet reaped: common under a container's init) runs no more.
        if stat.field(3) == "Z" || stat.field(3) == "X" { return false }
        guard let recorded = row.startTicks, let actual = stat.field(22) else { return true }
        return recorded == actual
    }

    /// The kernel's host name (no DNS lookup, unlike `ProcessInfo.hostName`).
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func exists(pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Field 22 of `/proc/<pid>/stat` (after the parenthesised command name, which may hold spaces).
    private static func startTicks(of pid: Int32) -> String? {
        ProcStat(pid: String(pid))?.field(22).map(String.init)
    }
}

/// One row of `scheduler_processes`.
package struct SchedulerProcessRow: Sendable {
    package var processId: String
    package var host: String
    package var pid: Int32
    package var startTicks: String?
    package var heartbeatAt: Date

    package init(processId: String, host: String, pid: Int32, startTicks: String?, heartbeatAt: Date) {
        self.processId = processId
        self.host = host
        self.pid = pid
        self.startTicks = startTicks
        self.heartbeatAt = heartbeatAt
    }
}
