import Foundation
import StargraphCore

/// Cron triggers: each fire submits a run under the idempotency key of its fire time and is
/// recorded in `trigger_fires`, so no time fires twice across restarts.
extension RunScheduler {
    /// The triggers with their parsed expressions.
    /// - Throws: ``CronTriggerError`` naming the first trigger that does not parse or names a
    ///   graph that is not registered.
    package func validatedTriggers() throws(CronTriggerError) -> [(CronTrigger, CronExpression)] {
        try triggers.map { trigger throws(CronTriggerError) in
            let expression = try trigger.expression()
            guard graphs.entry(trigger.graphId) != nil else {
                throw CronTriggerError(
                    triggerId: trigger.id,
                    message: "graph '\(trigger.graphId)' is not registered; register it (a plugin, the manifest's graphs or a graph file given to the server) or fix graph_id")
            }
            return (trigger, expression)
        }
    }

    /// Fires `schedules` until the task is cancelled. At start, a trigger that fired before and
    /// missed times while no scheduler ran fires once for the latest missed time.
    package func fireTriggers(_ schedules: [(CronTrigger, CronExpression)]) async {
        guard !schedules.isEmpty else { return }
        let start = Date()
        var next: [Date?] = []
        for (trigger, expression) in schedules {
            do {
                if let last = try await runtime.store.lastTriggerFire(trigger.id),
                   let missed = expression.latestFire(after: last, upTo: start) {
                    logger.info("cron trigger missed fires while stopped; firing once", metadata: [
                        "trigger": "\(trigger.id)", "fire_time": "\(Timestamps.format(missed))",
                    ])
                    await fire(trigger, at: missed)
                }
            } catch {
                logger.error("cannot read the fires of a cron trigger", metadata: ["trigger": "\(trigger.id)", "error": "\(error)"])
            }
            next.append(expression.nextFire(after: start))
        }
        while let soonest = next.compactMap({ $0 }).min() {
            let wait = soonest.timeIntervalSinceNow
            if wait > 0 {
                guard (try? await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 1))) != nil else { return }
            }
            for (index, (trigger, expression)) in schedules.enumerated() {
                guard let due = next[index], due <= Date() else { continue }
                await fire(trigger, at: due)
                next[index] = expression.nextFire(after: due)
            }
        }
    }

    /// Submits the run of `trigger`'s fire at `fireTime` and records the fire.
    package func fire(_ trigger: CronTrigger, at fireTime: Date) async {
        let request = RunRequest(
            graphId: trigger.graphId, params: trigger.params, idempotencyKey: trigger.idempotencyKey(for: fireTime),
            principal: "trigger:\(trigger.id)")
        do {
            let submission = try await submit(request)
            try await runtime.store.recordTriggerFire(trigger.id, fireTime: fireTime, runId: submission.run.runId)
            logger.debug("cron trigger fired", metadata: [
                "trigger": "\(trigger.id)", "run_id": "\(submission.run.runId)", "new": "\(submission.created)",
            ])
        } catch {
            logger.error("cron trigger could not start its run", metadata: ["trigger": "\(trigger.id)", "error": "\(error)"])
        }
    }
}
