import Foundation
import StargraphCore

/// The durable record of runs: their rows, one checkpoint per committed step, their events in
/// order, the graph texts they ran, the artifacts they wrote and the audit heads that anchor the
/// audit log. The engine, the scheduler and serve know the store only through this protocol and
/// ``RunQueue``; each backend (SQLite today) implements both and passes the same conformance suite.
///
/// Every write is one transaction: it is committed whole or not at all, and returns once it is
/// durable. Reads see every write committed before they began.
package protocol RunStore: AnyObject, Sendable {
    /// Where the store lives, for messages: a file path or a URL without its password.
    var location: String { get }

    // MARK: Runs

    /// Stores a new run with its first `events` (seq from 1) and the graph text it runs (kept
    /// once however many runs share it), with `anchor`, the audit log's head after these events,
    /// when there is one.
    /// - Throws: ``StoreError/runAlreadyExists(_:)`` when the run id is taken.
    func insertRun(_ run: RunRecord, events: [EventRecord], anchor: AuditHead?) async throws

    /// Stores a new run as ``insertRun(_:events:anchor:)`` does, taken on by a scheduler
    /// as `admission` says, in the same transaction: its queue row or its claim, its
    /// idempotency key (see ``RunQueue``) and its `webhook` (see ``WebhookOutbox``), which
    /// `events` already owe deliveries to. Returns its queue entry.
    /// - Throws: ``StoreError/idempotencyKeyTaken(key:)`` when an earlier or concurrent request
    ///   holds the key (nothing is written then).
    func insertRun(
        _ run: RunRecord, events: [EventRecord], admission: RunAdmission, webhook: WebhookSubscription?, anchor: AuditHead?
    ) async throws -> QueuedRun

    /// Commits one step: inserts `checkpoint`, replaces the run row with `run` (its status change,
    /// if any, goes into the status history; a run that stopped leaves the queue) and appends
    /// `events`. `encoded` is the canonical JSON text of the checkpoint's state and output when
    /// the caller already has it.
    /// - Throws: ``StoreError/stepAlreadyCommitted(runId:step:)`` (nothing changed),
    ///   ``StoreError/runNotFound(_:)``, ``StoreError/mismatchedRunIds(checkpointRunId:runId:)``,
    ///   ``StoreError/leaseLost(runId:epoch:)`` when the run was taken over since `run` was read.
    func commitStep(
        _ checkpoint: CheckpointRecord, run: RunRecord, events: [EventRecord],
        encoded: (state: String, output: String)?, anchor: AuditHead?
    ) async throws

    /// Replaces the run row with `run` and appends `events`, without a step (a pause, a cancel,
    /// a failure before any step).
    /// - Throws: ``StoreError/runNotFound(_:)``, ``StoreError/leaseLost(runId:epoch:)`` as for
    ///   ``commitStep(_:run:events:encoded:anchor:)``.
    func updateRun(_ run: RunRecord, events: [EventRecord], anchor: AuditHead?) async throws

    /// Moves a run whose status is one of `from` to `to` (compare-and-set), setting its
    /// timestamps and, when given, its error fields.
    /// - Returns: `false`, changing nothing, when the current status is not in `from`.
    /// - Throws: ``StoreError/runNotFound(_:)``.
    func transitionStatus(
        runId: String, from: Set<RunStatus>, to: RunStatus, errorClass: String?, errorCause: String?
    ) async throws -> Bool

    /// The run `runId`, or `nil` when it is not stored.
    func run(_ runId: String) async throws -> RunRecord?

    /// One page of the runs `query` selects; its `total` counts every match, whatever the page.
    func listRuns(_ query: RunQuery) async throws -> RunPage

    /// Every graph id a stored run names, in id order.
    func storedGraphIds() async throws -> [String]

    /// The statuses `runId` went through, oldest first (empty for an unknown run).
    func history(runId: String) async throws -> [(status: RunStatus, ts: Date)]

    // MARK: Steps and events

    /// Every checkpoint of `runId`, by step then branch (empty for an unknown run).
    func checkpoints(runId: String) async throws -> [CheckpointRecord]

    /// The checkpoint of step `step` on the main branch, or `nil` when it was not committed.
    func checkpoint(runId: String, step: Int) async throws -> CheckpointRecord?

    /// Events of `runId` with `seq > afterSeq`, in seq order, at most `limit` (all when `nil`).
    func events(runId: String, afterSeq: Int, limit: Int?) async throws -> [EventRecord]

    /// The highest event seq of `runId` (0 when it has none).
    func lastEventSeq(runId: String) async throws -> Int

    // MARK: Artifacts

    /// Records `record`; a step executed again replaces its own (run, step, node, name) row.
    func recordArtifact(_ record: ArtifactRecord) async throws

    /// The artifacts of `runId`, by step, node and name.
    func artifacts(runId: String) async throws -> [ArtifactRecord]

    /// The first recorded write of `id`, or `nil` when no run wrote it.
    func artifact(_ id: ArtifactID) async throws -> ArtifactRecord?

    // MARK: Audit anchors

    /// Records `head` on its own, for an audit append no other write goes with.
    func anchorAudit(_ head: AuditHead) async throws

    // MARK: Executions outside a scheduler

    /// Takes run `runId` for `process`, about to execute it as `command` (`stargraph resume`),
    /// moving its lease epoch on (read the run after the claim).
    /// - Throws: ``StoreError/runExecutingElsewhere(runId:holder:)`` while a live process holds
    ///   it or a live scheduler claims it.
    func claimExecution(runId: String, by process: SchedulerProcess, command: String) async throws -> RunExecutionClaim

    /// Renews the claim of `process` on `runId`, so other hosts see it is alive.
    func refreshExecution(runId: String, by process: SchedulerProcess) async throws

    /// Gives up the claim of `process` on `runId`.
    func releaseExecution(runId: String, by process: SchedulerProcess) async throws

    // MARK: Health and lifetime

    /// From now until ``close()``, calls `onUpdate` with the id of each run whose events a
    /// write committed, in this process or another, as soon as the backend can tell
    /// (PostgreSQL: `LISTEN`/`NOTIFY`). A backend that cannot tell (SQLite) never calls it:
    /// readers of another process's runs then poll.
    func watchRunUpdates(_ onUpdate: @escaping @Sendable (String) -> Void)

    /// Why the last write failed, while writes fail (a full disk, an I/O error).
    var lastWriteFailure: WriteFailure? { get }

    /// A trivial read, so health checks see a store that can no longer be read.
    func ping() async throws

    /// After a failed write, a probe write, so a store that can write again reports healthy
    /// without waiting for the next run.
    func probeWritesAfterFailure() async

    /// Waits for queued writes to commit, then closes the store; later writes throw
    /// ``StoreError/closed(path:)``.
    func close() async throws
}

extension RunStore {
    /// ``insertRun(_:events:anchor:)`` with no audit log.
    package func insertRun(_ run: RunRecord, events: [EventRecord]) async throws {
        try await insertRun(run, events: events, anchor: nil)
    }

    /// ``insertRun(_:events:admission:webhook:anchor:)`` with no webhook and no audit log.
    package func insertRun(_ run: RunRecord, events: [EventRecord], admission: RunAdmission) async throws -> QueuedRun {
        try await insertRun(run, events: events, admission: admission, webhook: nil, anchor: nil)
    }

    /// ``commitStep(_:run:events:encoded:anchor:)`` with nothing encoded ahead and no audit log.
    package func commitStep(_ checkpoint: CheckpointRecord, run: RunRecord, events: [EventRecord]) async throws {
        try await commitStep(checkpoint, run: run, events: events, encoded: nil, anchor: nil)
    }

    /// ``updateRun(_:events:anchor:)`` with no audit log.
    package func updateRun(_ run: RunRecord, events: [EventRecord]) async throws {
        try await updateRun(run, events: events, anchor: nil)
    }

    /// ``transitionStatus(runId:from:to:errorClass:errorCause:)`` keeping the error fields.
    package func transitionStatus(runId: String, from: Set<RunStatus>, to: RunStatus) async throws -> Bool {
        try await transitionStatus(runId: runId, from: from, to: to, errorClass: nil, errorCause: nil)
    }

    /// Every event of `runId`, in seq order.
    package func events(runId: String) async throws -> [EventRecord] {
        try await events(runId: runId, afterSeq: 0, limit: nil)
    }
}
