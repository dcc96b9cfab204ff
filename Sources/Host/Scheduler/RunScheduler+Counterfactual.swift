import StargraphCore
import StargraphEngine
extension RunScheduler {
    /// Forks a counterfactual of `parentRunId` (``Counterfactuals/fork(parentRunId:fromStep:mutation:)``,
    /// the same host function `stargraph replay` uses) and queues the fork, which then executes
    /// in a worker like any accepted run. Returns the fork as stored (`pending`).
    /// - Throws: ``SchedulerError/shuttingDown``, and the fork's own errors
    ///   (``EngineError/runNotFound(_:)``, ``MutationError``, ``CounterfactualError``).
    public func submitCounterfactual(parentRunId: String, fromStep: Int, mutation: JSONValue?) async throws -> RunRecord {
        guard acceptsWork else { throw SchedulerError.shuttingDown }
        try await register()
        let fork = try await Counterfactuals(engine: runtime.engine)
            .fork(parentRunId: parentRunId, fromStep: fromStep, mutation: mutation, queuedFor: process.id)
        if let queued = fork.queued { dispatcher.add(queued) }
        return fork.run
    }
}
