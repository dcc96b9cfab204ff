import Synchronization
import StargraphCore

/// Stop requests for runs executing in this process.
///
/// A pause is taken between steps (at a checkpoint boundary), so it never tears a step. A
/// cancel also interrupts the step in flight: its task is cancelled, so `delay` ends early and
/// a plugin's `is_cancelled` turns true; the engine then ends the run `cancelled` without
/// committing that step.
public final class RunSignals: Sendable {
    /// What a run has been asked to do.
    public enum Request: Sendable { case pause, cancel }

    private struct State {
        var requests: [String: Request] = [:]
        /// Cancels the step each run is executing now.
        var interrupters: [String: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Asks `runId` to pause at its next step boundary, or to cancel now (interrupting its step).
    public func request(_ request: Request, for runId: String) {
        let interrupt = state.withLock { state in
            state.requests[runId] = request
            return request == .cancel ? state.interrupters[runId] : nil
        }
        interrupt?()
    }

    /// Takes (and clears) the pending request for `runId`.
    package func take(_ runId: String) -> Request? {
        state.withLock { $0.requests.removeValue(forKey: runId) }
    }

    /// Whether `runId` has been asked to cancel (and has not taken the request yet).
    package func isCancelRequested(_ runId: String) -> Bool {
        state.withLock { $0.requests[runId] == .cancel }
    }

    /// Runs one step of `runId` as a task a cancel request interrupts (as does cancelling the
    /// calling task); it inherits the caller's task-local values and priority.
    package func interruptible<Value: Sendable>(
        _ runId: String, _ step: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let task = Task { try await step() }
        let cancelled = state.withLock { state in
            state.interrupters[runId] = { task.cancel() }
            return state.requests[runId] == .cancel
        }
        if cancelled { task.cancel() }
        defer { _ = state.withLock { $0.interrupters.removeValue(forKey: runId) } }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}

/// Where a run goes after a step.
package enum NextMove: Sendable {
    case node(String)
    case block(ParallelSpec)
    case finish(reason: String?)
    case await(InterruptSpec)
}

extension CompiledGraph {
    /// Resolves a routing decision taken after `label` (`nil` before the first step).
    package func move(for decision: RoutingDecision, after label: String?) -> NextMove {
        switch decision {
        case .continue:
            guard let label else { return .node(ir.nodes[0].id) }
            guard let index = ir.nodeIndex(label), index + 1 < ir.nodes.count else { return .finish(reason: nil) }
            return .node(ir.nodes[index + 1].id)
        case .goto(let target, _), .retry(let target, _, _, _):
            if ir.node(target) == nil, let block = ir.parallelBlock(target) { return .block(block) }
            return .node(target)
        case .halt(let reason, _):
            return .finish(reason: reason)
        case .parallel(let block, _):
            return .block(block)
        case .interrupt(let spec, _, _):
            return .await(spec)
        }
    }
}
