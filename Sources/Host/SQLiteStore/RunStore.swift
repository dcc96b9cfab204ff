import Foundation
import GRDB
import Logging
import StargraphCore
import StargraphStore

extension Durability {
    /// The SQLite setting that gives this durability.
    package var synchronousPragma: String {
        switch self {
        case .normal: "PRAGMA synchronous = NORMAL"
        case .full: "PRAGMA synchronous = FULL"
        }
    }
}

/// The durable store of runs, checkpoints, events and status history: one SQLite file in WAL mode.
///
/// Several `RunStore`s (in one or several processes) may share a file; SQLite's locks and a 30 s
/// busy timeout serialise their writes. Within one `RunStore`, every write goes through a single
/// group committer: concurrent steps of many runs share one transaction, and each call still
/// returns only after its own write is committed. Reads use the pool's concurrent readers and see
/// the last committed writes.
public final class SQLiteRunStore: RunStore, RunQueue {
    /// The database every command uses when no `--db` is given.
    public static let defaultPath = "./.stargraph/stargraph.sqlite"

    /// The database file path, as given to ``init(path:durability:createIfMissing:)``.
    public let path: String
    package var location: String { path }
    package let pool: DatabasePool
    package let committer: GroupCommitter
    /// Checkpoints the WAL off the writer (`stargraph serve`); `nil`: SQLite's own, in the writer.
    package let checkpointer: WALCheckpointer?

    /// Opens the database at `path` (WAL, 30 s busy timeout, foreign keys on) and applies pending
    /// migrations.
    ///
    /// With `createIfMissing` (the default) a missing file and its parent folders are created.
    /// With `createIfMissing: false` a missing file throws ``StoreError/databaseNotFound(_:)`` and
    /// nothing is created (use it for `replay` and `inspect`).
    ///
    /// With `checkpointsInBackground`, a thread of the store copies the WAL into the database file
    /// (``WALCheckpointer``), so commits do not wait behind checkpoints: for long-lived, busy
    /// processes such as `stargraph serve`. It costs a thread and a connection.
    /// - Throws: ``StoreError/cannotOpen(path:detail:)``, ``StoreError/migrationFailed(path:detail:)``
    ///   or ``StoreError/schemaTooNew(path:unknownMigrations:)``.
    public init(
        path: String, durability: Durability = .normal, createIfMissing: Bool = true, checkpointsInBackground: Bool = false
    ) throws {
        let logger = Logger(label: "stargraph.store")
        self.path = path
        let fileURL = URL(fileURLWithPath: path)
        if !FileManager.default.fileExists(atPath: fileURL.path) {
            guard createIfMissing else { throw StoreError.databaseNotFound(path) }
            do {
                try FileManager.default.createDirectory(
                    at: fileURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw StoreError.cannotOpen(path: path, detail: "cannot create its folder: \(error.localizedDescription)")
            }
        }

        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.foreignKeysEnabled = true
        configuration.label = "stargraph.store"
        configuration.prepareDatabase { db in
            try db.execute(sql: durability.synchronousPragma)
            // Statement journals and temporary tables stay in memory: they never need to survive
            // a transaction, and as temporary files they cost a pwrite per page touched.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        pool = try Self.openPool(path: path, configuration: configuration, durability: durability)
        try StoreMigrations.migrate(pool, path: path, logger: logger)
        committer = GroupCommitter(pool: pool, path: path)
        if checkpointsInBackground {
            let checkpointer = try WALCheckpointer(path: path, synchronousPragma: durability.synchronousPragma)
            pool.writeWithoutTransaction { db in checkpointer.install(on: db) }
            self.checkpointer = checkpointer
        } else {
            checkpointer = nil
        }
    }

    deinit {
        checkpointer?.stop()
    }

    /// Opens the pool (switching a fresh file to WAL). Several processes opening one fresh file at
    /// once can get `SQLITE_BUSY` from the journal-mode switch, which SQLite does not retry
    /// through the busy handler, so it is retried here for a while.
    private static func openPool(path: String, configuration: Configuration, durability: Durability) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                // GRDB sets `synchronous = NORMAL` on the writer after `prepareDatabase` when it
                // enables WAL, so the durability pragma is applied again here.
                try pool.writeWithoutTransaction { db in try db.execute(sql: durability.synchronousPragma) }
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && attempt < 50 {
                attempt += 1
                Thread.sleep(forTimeInterval: 0.01 * Double(min(attempt, 10)))
            } catch {
                throw StoreError.cannotOpen(path: path, detail: String(describing: error))
            }
        }
    }

    /// Waits for queued writes to commit, then closes the database. Later calls throw
    /// ``StoreError/closed(path:)`` (writes) or a database error (reads).
    public func close() async throws {
        await committer.close()
        if let checkpointer {
            try? await pool.writeWithoutTransaction { db in checkpointer.uninstall(from: db) }
            checkpointer.stop()
        }
        do {
            try pool.close()
        } catch {
            throw StoreError.wrapping(error, operation: "closing \(path)")
        }
    }

    // MARK: - Writes (group-committed)

    /// Inserts a new run row and its events (seq from 1; their own `runId` and `seq` are
    /// ignored) and `anchor`; the status trigger records the run's first `runs_history` row.
    /// - Throws: ``StoreError/runAlreadyExists(_:)`` when the run id is taken.
    package func insertRun(_ run: RunRecord, events: [EventRecord], anchor: AuditHead?) async throws {
        _ = try await insertRun(run, events: events, claimedBy: nil, webhook: nil, anchor: anchor) { _ in nil }
    }

    /// ``insertRun(_:events:anchor:)`` of a run a scheduler takes on as `admission` says, in the
    /// same transaction: its queue row or its claim, its idempotency key and its webhook. The run
    /// and these are committed together or not at all.
    /// - Throws: ``StoreError/idempotencyKeyTaken(key:)`` when an earlier or concurrent request
    ///   holds the key (nothing is written then).
    package func insertRun(
        _ run: RunRecord, events: [EventRecord], admission: RunAdmission, webhook: WebhookSubscription?, anchor: AuditHead?
    ) async throws -> QueuedRun {
        let started = admission.startsRunning
        let queued = try await insertRun(
            run, events: events, claimedBy: started ? admission.claimedBy : nil, webhook: webhook, anchor: anchor
        ) { db in try Self.admit(db, runId: run.runId, graphId: run.graphId, admission) }
        return queued ?? QueuedRun(order: QueuedRun.unqueued, runId: run.runId, graphId: run.graphId, response: nil)
    }

    private func insertRun(
        _ run: RunRecord, events: [EventRecord], claimedBy: String?, webhook: WebhookSubscription?, anchor: AuditHead?,
        admit: @escaping @Sendable (Database) throws -> QueuedRun?
    ) async throws -> QueuedRun? {
        // Encoded before the write, so the shared transaction holds its lock for SQL only.
        let sourceHash = run.graphSourceHash
        let values = run.databaseValues(sourceHash: sourceHash, claimedBy: claimedBy)
        let source = run.graphSource
        let events = events.map(EncodedEvent.init)
        let statements = committer.statements
        return try await write("inserting run") { db in
            let queued = try admit(db)
            // The graph's text is stored once, however many runs it has.
            try statements.execute(.insertGraphSource, in: db, [sourceHash.databaseValue, source.databaseValue])
            do {
                try statements.execute(.insertRun, in: db, values)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StoreError.runAlreadyExists(run.runId)
            }
            // Before the events, which the outbox trigger matches against the subscription.
            if let webhook { try Self.subscribe(db, runId: run.runId, webhook) }
            try Self.appendEvents(db, runId: run.runId, events: events, statements)
            try anchor?.record(in: db, statements)
            return queued
        }
    }

    /// ``commitStep(_:run:events:)`` with the checkpoint's state and output already encoded as
    /// canonical JSON (`encoded`, which must be the text of exactly those values), and the audit
    /// log's head after the step's events (`anchor`) recorded in the same transaction.
    package func commitStep(
        _ checkpoint: CheckpointRecord, run: RunRecord, events: [EventRecord], encoded: (state: String, output: String)?,
        anchor: AuditHead? = nil
    ) async throws {
        guard checkpoint.runId == run.runId else {
            throw StoreError.mismatchedRunIds(checkpointRunId: checkpoint.runId, runId: run.runId)
        }
        // The run row takes the checkpoint's state and facts: encode them once.
        let state = encoded?.state ?? ColumnCoding.json(checkpoint.state)
        let facts = ColumnCoding.json(checkpoint.facts)
        let values = checkpoint.databaseValues(encodedState: state, encodedFacts: facts, encodedOutput: encoded?.output)
        let update = run.state == checkpoint.state && run.facts == checkpoint.facts
            ? RunUpdate(run, encodedState: state, encodedFacts: facts) : RunUpdate(run)
        let events = events.map(EncodedEvent.init)
        let statements = committer.statements
        try await write("committing a step") { db in
            try Self.replaceRun(db, update, events: events, statements)
            do {
                try statements.execute(.insertCheckpoint, in: db, values)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StoreError.stepAlreadyCommitted(runId: checkpoint.runId, step: checkpoint.step)
            }
            try anchor?.record(in: db, statements)
        }
    }

    /// ``updateRun(_:events:)`` that also records `anchor` in the same transaction.
    package func updateRun(_ run: RunRecord, events: [EventRecord], anchor: AuditHead?) async throws {
        let update = RunUpdate(run)
        let events = events.map(EncodedEvent.init)
        let statements = committer.statements
        try await write("updating run \(run.runId)") { db in
            try Self.replaceRun(db, update, events: events, statements)
            try anchor?.record(in: db, statements)
        }
    }

    /// Atomically moves a run whose status is one of `from` to `to` (compare-and-set).
    ///
    /// On success it sets `updated_at`, `started_at` (when moving to `running` for the first time),
    /// `finished_at` (when `to` is terminal) and the error fields when given (non-nil values
    /// replace, nil keeps); the triggers apply as for ``commitStep(_:run:events:)``.
    /// - Returns: `false`, changing nothing, when the current status is not in `from`.
    /// - Throws: ``StoreError/runNotFound(_:)``.
    public func transitionStatus(
        runId: String, from: Set<RunStatus>, to: RunStatus, errorClass: String?, errorCause: String?
    ) async throws -> Bool {
        try await write("moving run \(runId) to \(to.rawValue)") { db in
            guard from.contains(try Self.currentStatus(db, runId: runId)) else { return false }
            let now = ColumnCoding.timestamp(Date())
            try db.execute(
                sql: """
                    UPDATE runs SET status = ?, updated_at = ?,
                        error_class = COALESCE(?, error_class), error_cause = COALESCE(?, error_cause),
                        started_at = CASE WHEN ? THEN COALESCE(started_at, ?) ELSE started_at END,
                        finished_at = CASE WHEN ? THEN ? ELSE finished_at END
                    WHERE run_id = ?
                    """,
                arguments: [to.rawValue, now, errorClass, errorCause, to == .running, now, to.isTerminal, now, runId])
            return true
        }
    }

    // MARK: - Write helpers

    /// Submits `work` to the group committer, turning any failure into a ``StoreError``.
    package func write<T: Sendable>(
        _ operation: String, _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await committer.submit(work)
        } catch {
            throw StoreError.wrapping(error, operation: operation)
        }
    }

    private static func currentStatus(_ db: Database, runId: String) throws -> RunStatus {
        let select = try db.cachedStatement(sql: "SELECT status FROM runs WHERE run_id = ?")
        guard let text = try String.fetchOne(select, arguments: [runId])
        else { throw StoreError.runNotFound(runId) }
        guard let status = RunStatus(rawValue: text) else {
            throw StoreError.corruptColumn(runId: runId, column: "runs.status", detail: "unknown status \(text)")
        }
        return status
    }

    /// Updates the run's mutable columns and appends `events`.
    private static func replaceRun(
        _ db: Database, _ run: RunUpdate, events: [EncodedEvent], _ statements: WriterStatements
    ) throws {
        try statements.execute(.updateRun, in: db, run.values)
        guard db.changesCount > 0 else {
            let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM runs WHERE run_id = ?"), arguments: [run.runId]) ?? false
            throw exists ? StoreError.leaseLost(runId: run.runId, epoch: run.leaseEpoch) : StoreError.runNotFound(run.runId)
        }
        try appendEvents(db, runId: run.runId, events: events, statements)
    }

    /// Appends `events` to the run's log, numbering them after its last `seq`.
    private static func appendEvents(
        _ db: Database, runId: String, events: [EncodedEvent], _ statements: WriterStatements
    ) throws {
        try statements.with(.appendEvent, in: db) { insert in
            for event in events {
                try insert.executeDirectly([
                    runId.databaseValue, event.step.databaseValue, event.type.databaseValue, event.ts.databaseValue,
                    event.payload.databaseValue,
                ])
            }
        }
    }
}

/// A run row's changes, encoded before the write so the shared transaction only runs SQL.
private struct RunUpdate: Sendable {
    let runId: String
    let leaseEpoch: Int
    /// The mutable columns' values, then the run id and lease epoch (for the `WHERE`).
    let values: [DatabaseValue]

    init(_ run: RunRecord) {
        self.init(run, values: run.mutableDatabaseValues)
    }

    /// With the run's state and facts already encoded.
    init(_ run: RunRecord, encodedState: String, encodedFacts: String) {
        self.init(run, values: run.mutableDatabaseValues(encodedState: encodedState, encodedFacts: encodedFacts))
    }

    private init(_ run: RunRecord, values: [DatabaseValue]) {
        runId = run.runId
        leaseEpoch = run.leaseEpoch
        self.values = values + [run.runId.databaseValue, run.leaseEpoch.databaseValue]
    }
}

/// An event row, encoded before the write (its `seq` is assigned in the transaction).
private struct EncodedEvent: Sendable {
    let step: Int?
    let type: String
    let ts: String
    let payload: String

    init(_ event: EventRecord) {
        step = event.step
        type = event.type
        ts = ColumnCoding.timestamp(event.ts)
        payload = ColumnCoding.json(event.payload)
    }
}
