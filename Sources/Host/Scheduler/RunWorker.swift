import Logging
import StargraphCore
import StargraphStore
import StargraphEngine

/// Drives one queued run with the engine, from wherever its last checkpoint left it, and removes
/// its queue row once the scheduler owes it nothing more.
package struct RunWorker: Sendable {
    package let engine: RunEngine
    package let store: any RunStore & RunQueue
    /// The graphs as registered now: resuming a run whose graph hashes differently is refused.
    package let graphs: GraphRegistry
    package let metrics: SchedulerMetrics
    package let logger: Logger

    /// Executes `queued` until it is done, failed, cancelled, paused or awaiting input. The
    /// commit that stops the run also removes its queue row (store migration 005).
    ///
    /// When the task is cancelled (graceful shutdown) the engine stops at the next checkpoint
    /// boundary leaving the run `running`; its queue row (or claim, which the scheduler releases as
    /// a row) stays, so the next start resumes it.
    package func drive(_ queued: QueuedRun) async {
        do {
            let stopped: RunRecord
            if let accepted = queued.acceptedRunning {
                stopped = try await engine.execute(accepted)
            } else {
                guard let run = try await store.run(queued.runId) else {
                    try await store.discardQueued(runId: queued.runId)
                    return
                }
                guard let continued = try await continueRun(run, response: queued.response) else {
                    try await store.dequeue(runId: run.runId)
                    return
                }
                stopped = continued
            }
            if stopped.status != .running { metrics.record(stopped) }
        } catch {
            await giveUp(queued, error)
        }
    }

    /// Starts or resumes `run` as its status requires; `nil` when there is nothing to do.
    private func continueRun(_ run: RunRecord, response: JSONValue?) async throws -> RunRecord? {
        switch run.status {
        case .pending where run.startedAt == nil:
            return try await engine.execute(run)
        case .paused:
            // Paused with a queue row means "resume requested" — unless a pause from another
            // process removed the row after this one was queued.
            guard try await store.isQueued(runId: run.runId) else { return nil }
            return try await engine.resume(run, currentGraph: current(run))
        case .pending, .running:
            return try await engine.resume(run, currentGraph: current(run))
        case .awaitingInput:
            // Without a response, only a timed-out interrupt continues (its on_timeout applies).
            guard response != nil || run.interruptExpired else { return nil }
            return try await engine.resume(run, response: response, currentGraph: current(run))
        case .done, .failed, .cancelled:
            return nil
        }
    }

    /// The registered graph of `run`'s id, which it must still hash as to continue.
    private func current(_ run: RunRecord) -> CompiledGraph? {
        graphs.entry(run.graphId)?.graph
    }

    /// A run the engine refused (its graph changed, a corrupt row…) fails with the reason and a
    /// `run_failed` event, so it is not retried forever; a store failure leaves the row queued
    /// for the next start; a run another scheduler took over is left to it.
    private func giveUp(_ queued: QueuedRun, _ error: any Error) async {
        if Task.isCancelled { return }
        if case StoreError.leaseLost = error {
            // Another scheduler owns the run now and drives it; its queue row is that one's.
            logger.warning("run taken over by another scheduler; giving it up", metadata: ["run_id": "\(queued.runId)"])
            return
        }
        logger.error("scheduler could not drive run", metadata: ["run_id": "\(queued.runId)", "error": "\(error)"])
        guard error is EngineError else { return }
        do {
            if case .invalidResponse = error as? EngineError {
                try await store.dequeue(runId: queued.runId)
                return
            }
            let failed = try await store.transitionStatus(
                runId: queued.runId, from: [.pending, .running, .paused, .awaitingInput], to: .failed,
                errorClass: "SchedulerError", errorCause: "\(error)")
            // Failing the run removed its queue row; a run that had ended already may still have one.
            if !failed { try await store.dequeue(runId: queued.runId) }
            guard let run = try await store.run(queued.runId) else { return }
            // Its terminal event, as every run that ends has: streams end and webhooks hear of it.
            if failed { try await engine.events.update(run, .runFinished(status: .failed, reason: "\(error)")) }
            metrics.record(run)
        } catch {
            logger.error("scheduler could not fail run", metadata: ["run_id": "\(queued.runId)", "error": "\(error)"])
        }
    }
}
