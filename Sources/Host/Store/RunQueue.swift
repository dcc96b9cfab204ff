import Foundation
import StargraphCore

/// The schedulers' durable queue beside the runs: which process owes which run work, the
/// idempotency keys of accepted requests, the live scheduler processes and the cron fires.
///
/// A run has a queue row while some scheduler owes it work, except a run accepted straight into
/// a worker, whose claim is on the run itself; so a restart finds every run it must continue.
package protocol RunQueue: Sendable {
    /// Queues the stored run `runId` again (resume, respond, an expired interrupt) for the
    /// scheduler `processId`, when its status is still `status`.
    func requeue(
        runId: String, whenStatus status: RunStatus, response: JSONValue?, claimedBy processId: String
    ) async throws -> EnqueueOutcome

    /// Removes the queue row of `runId`.
    func dequeue(runId: String) async throws

    /// Removes the queue row and idempotency key of a run that cannot be driven (its run is gone).
    func discardQueued(runId: String) async throws

    /// The request hash and run recorded for idempotency key `key`, if it was accepted.
    func idempotencyEntry(key: String) async throws -> IdempotencyEntry?

    /// Takes over, for `process`, the queue rows no live scheduler owns, oldest first; rows whose
    /// run was never created are deleted with their idempotency key. Each run taken over from a
    /// process that is gone gets the next lease epoch, so that process can write it no more.
    func claimAbandonedRuns(for process: SchedulerProcess) async throws -> [QueuedRun]

    /// Releases every claim of `processId` (a graceful stop), so the next scheduler takes them at once.
    func releaseClaims(of processId: String) async throws

    /// Whether `runId` has a queue row.
    func isQueued(runId: String) async throws -> Bool

    /// The number of queue rows of every process.
    func queuedRunCount() async throws -> Int

    /// Records (or refreshes) `process` as a live scheduler.
    func recordSchedulerHeartbeat(_ process: SchedulerProcess) async throws

    /// Whether `process` holds a claim (a queue row or a running run).
    func holdsClaims(_ process: SchedulerProcess) async throws -> Bool

    /// The runs in `status` with their next action (their last routing decision).
    func nextActions(of status: RunStatus) async throws -> [(runId: String, nextAction: JSONValue)]

    /// Asks the scheduler process that executes the running run `runId` to `control` it, which
    /// that process does at its next sweep; a cancel wins over a pause asked before it.
    /// - Returns: `false`, recording nothing, when the run is not running under a scheduler's
    ///   claim (`stargraph run` executes it, or it stopped).
    func requestControl(_ control: RunControl, runId: String) async throws -> Bool

    /// Takes (removes and returns) the control requests of the runs among `runIds`. A run's
    /// request is dropped by itself once the run stops running.
    func takeControlRequests(runIds: [String]) async throws -> [(runId: String, control: RunControl)]

    /// The latest fire time recorded for cron trigger `triggerId`, if it ever fired.
    func lastTriggerFire(_ triggerId: String) async throws -> Date?

    /// Records that trigger `triggerId` fired for `fireTime`, creating `runId` (kept when the
    /// fire was already recorded).
    func recordTriggerFire(_ triggerId: String, fireTime: Date, runId: String) async throws
}
