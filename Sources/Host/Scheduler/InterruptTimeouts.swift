import Foundation
import StargraphCore
import StargraphEngine

extension RunRecord {
    /// Whether this run waits on an interrupt whose `timeout` has run out.
    package var interruptExpired: Bool {
        guard status == .awaitingInput, let deadline = try? RunCursor(json: nextAction).deadline else { return false }
        return deadline <= Date()
    }
}

extension RunScheduler {
    /// Queues the runs of this database whose interrupt timed out, so a worker applies their
    /// `on_timeout` (halt, or goto a node) without anyone answering.
    package func queueExpiredInterrupts() async throws {
        let now = Date()
        let expired = try await runtime.store.nextActions(of: .awaitingInput).compactMap { run in
            (try? RunCursor(json: run.nextAction).deadline).flatMap { $0 <= now ? run.runId : nil }
        }
        for runId in expired {
            let outcome = try await runtime.store.requeue(
                runId: runId, whenStatus: .awaitingInput, response: nil, claimedBy: process.id)
            if case .queued(let queued) = outcome { dispatcher.add(queued) }
        }
    }
}
