import Foundation
import GRDB
import StargraphCore

extension RunStore {
    /// Runs awaiting input whose interrupt `timeout` has run out at `now` (their `on_timeout`
    /// applies when they are resumed without a response).
    func expiredInterrupts(at now: Date) throws -> [String] {
        let waiting = try schedulerRead("reading runs awaiting input") { db in
            try Row.fetchAll(db, sql: "SELECT run_id, next_action FROM runs WHERE status = ?", arguments: [RunStatus.awaitingInput.rawValue])
                .map { (runId: $0["run_id"] as String, nextAction: $0["next_action"] as String) }
        }
        return waiting.compactMap { run in
            guard let json = try? JSONParser.parse(run.nextAction),
                  let deadline = try? RunCursor(json: json).deadline, deadline <= now else { return nil }
            return run.runId
        }
    }
}

extension RunRecord {
    /// Whether this run waits on an interrupt whose `timeout` has run out.
    var interruptExpired: Bool {
        guard status == .awaitingInput, let deadline = try? RunCursor(json: nextAction).deadline else { return false }
        return deadline <= Date()
    }
}

extension RunScheduler {
    /// Queues the runs of this database whose interrupt timed out, so a worker applies their
    /// `on_timeout` (halt, or goto a node) without anyone answering.
    func queueExpiredInterrupts() async throws {
        for runId in try runtime.store.expiredInterrupts(at: Date()) {
            let outcome = try await runtime.store.requeue(
                runId: runId, whenStatus: .awaitingInput, response: nil, claimedBy: process.id)
            if case .queued(let queued) = outcome { dispatcher.add(queued) }
        }
    }
}
