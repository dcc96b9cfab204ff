import Synchronization

/// Stop requests for runs executing in this process, checked by the engine between steps
/// (at a checkpoint boundary), so a pause or cancel never tears a step.
public final class RunSignals: Sendable {
    /// What a run has been asked to do at its next checkpoint boundary.
    public enum Request: Sendable { case pause, cancel }

    private let requests = Mutex<[String: Request]>([:])

    public init() {}

    /// Asks `runId` to pause or cancel at its next step boundary.
    public func request(_ request: Request, for runId: String) {
        requests.withLock { $0[runId] = request }
    }

    /// Takes (and clears) the pending request for `runId`.
    func take(_ runId: String) -> Request? {
        requests.withLock { $0.removeValue(forKey: runId) }
    }
}

/// Where a run goes after a step.
enum NextMove: Sendable {
    case node(String)
    case block(ParallelSpec)
    case finish(reason: String?)
    case await(InterruptSpec)
}

extension CompiledGraph {
    /// Resolves a routing decision taken after `label` (`nil` before the first step).
    func move(for decision: RoutingDecision, after label: String?) -> NextMove {
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
