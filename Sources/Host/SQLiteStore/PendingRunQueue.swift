import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// The scheduler's queue in `pending_runs` and its idempotency keys (migrations 002 and 004).
extension SQLiteRunStore {
    /// Inside the transaction that inserts the new run `runId`: records the idempotency key of
    /// `admission` and, when it is queued, its queue row. Returns that row, or `nil` for a run
    /// started at once (its claim is in the run row).
    /// - Throws: ``StoreError/idempotencyKeyTaken(key:)`` when an earlier or concurrent request
    ///   holds the key; the caller's transaction then writes nothing.
    package static func admit(_ db: Database, runId: String, graphId: String, _ admission: RunAdmission) throws -> QueuedRun? {
        switch admission {
        case .started(let idempotency, _):
            try recordIdempotency(db, idempotency, runId: runId)
            return nil
        case .queued(let params, let idempotency, let processId):
            try recordIdempotency(db, idempotency, runId: runId)
            return try insertQueueRow(
                db, runId: runId, graphId: graphId, params: params, response: nil,
                idempotency: idempotency, claimedBy: processId, now: ColumnCoding.timestamp(Date()))
        }
    }

    private static func recordIdempotency(_ db: Database, _ idempotency: IdempotencyEntry.Key?, runId: String) throws {
        guard let idempotency else { return }
        do {
            try db.cachedStatement(sql: """
                INSERT INTO idempotency_keys (key, request_hash, run_id, created_at) VALUES (?, ?, ?, ?)
                """).execute(arguments: [idempotency.key, idempotency.requestHash, runId, ColumnCoding.timestamp(Date())])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.idempotencyKeyTaken(key: idempotency.key)
        }
    }

    /// Queues the existing run `runId` again (resume, respond) when its status is still `status`,
    /// claimed by `processId`.
    package func requeue(
        runId: String, whenStatus status: RunStatus, response: JSONValue?, claimedBy processId: String
    ) async throws -> EnqueueOutcome {
        try await write("queueing run \(runId) again") { db in
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT status, graph_id FROM runs WHERE run_id = ?"), arguments: [runId])
            let current = (row?["status"] as String?).flatMap(RunStatus.init(rawValue:))
            guard current == status, let graphId: String = row?["graph_id"] else { return .statusChanged(current) }
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM pending_runs WHERE run_id = ?"), arguments: [runId]) == true {
                return .alreadyQueued
            }
            return .queued(try Self.insertQueueRow(
                db, runId: runId, graphId: graphId, params: .object([:]), response: response,
                idempotency: nil, claimedBy: processId, now: ColumnCoding.timestamp(Date())))
        }
    }

    /// Removes the queue row of `runId` (its run stopped, or it must not be driven any more).
    package func dequeue(runId: String) async throws {
        try await write("removing run \(runId) from the queue") { db in
            try db.cachedStatement(sql: "DELETE FROM pending_runs WHERE run_id = ?").execute(arguments: [runId])
        }
    }

    /// Removes the queue row and idempotency key of a run that cannot be driven (its run row is
    /// gone), so the request can be sent again.
    package func discardQueued(runId: String) async throws {
        try await write("discarding queued run \(runId)") { db in
            try Self.discard(db, runIds: [runId])
        }
    }

    /// The run and request hash recorded for idempotency key `key`, if it was accepted.
    package func idempotencyEntry(key: String) throws -> IdempotencyEntry? {
        try read("reading idempotency key") { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT request_hash, run_id FROM idempotency_keys WHERE key = ?"), arguments: [key])
                .map { IdempotencyEntry(requestHash: $0["request_hash"], runId: $0["run_id"]) }
        }
    }

    /// Takes over the queue rows no live scheduler owns — released ones and those claimed by
    /// processes that are gone — for `process`, oldest first. Rows whose run was never created
    /// (the process died while accepting it) are deleted with their idempotency key. Runs left
    /// `running` by a process that is gone, with their claim in `runs.claimed_by` and no row,
    /// get a row under that claim first, and are taken over like the others.
    package func claimAbandonedRuns(for process: SchedulerProcess) async throws -> [QueuedRun] {
        let candidates = try read("looking for abandoned queued runs") { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM pending_runs WHERE claimed_by IS NULL OR claimed_by != ?)
                    OR EXISTS (\(Self.claimedRunningSQL) AND r.claimed_by != ?)
                """, arguments: [process.id, process.id]) ?? false
        }
        guard candidates else { return [] }
        return try await write("claiming abandoned queued runs") { db in
            try Self.queueOrphanedRunningRuns(db, for: process)
            let rows = try Row.fetchAll(db, sql: """
                SELECT q.id, q.run_id, q.graph_id, q.response, q.claimed_by, r.run_id IS NOT NULL AS has_run
                FROM pending_runs q LEFT JOIN runs r ON r.run_id = q.run_id
                WHERE q.claimed_by IS NULL OR q.claimed_by != ? ORDER BY q.id
                """, arguments: [process.id])
            guard !rows.isEmpty else { return [] }
            let dead = try Self.deadOwners(db, among: Set(rows.compactMap { $0["claimed_by"] as String? }), seenBy: process)
            let abandoned = rows.filter { row in (row["claimed_by"] as String?).map(dead.contains) ?? true }
            try Self.discard(db, runIds: abandoned.filter { !$0["has_run"] }.map { $0["run_id"] })
            let now = ColumnCoding.timestamp(Date())
            let claim = try db.cachedStatement(sql: """
                UPDATE pending_runs SET claimed_by = ?, claimed_at = ?, attempts = attempts + 1 WHERE id = ?
                """)
            let fence = try db.cachedStatement(sql: "UPDATE runs SET lease_epoch = lease_epoch + 1 WHERE run_id = ?")
            var claimed: [QueuedRun] = []
            for row in abandoned where row["has_run"] {
                try claim.execute(arguments: [process.id, now, row["id"] as Int64])
                try fence.execute(arguments: [row["run_id"] as String])
                claimed.append(QueuedRun(
                    order: row["id"], runId: row["run_id"], graphId: row["graph_id"],
                    response: try (row["response"] as String?).map { try JSONParser.parse($0) }))
            }
            for owner in dead {
                try db.execute(sql: "DELETE FROM scheduler_processes WHERE process_id = ?", arguments: [owner])
            }
            return claimed
        }
    }

    /// Releases every claim of `processId` (graceful shutdown), so the next scheduler on this
    /// database takes those runs over at once: its runs left `running` without a row first get
    /// one under its claim, released with the others.
    package func releaseClaims(of processId: String) async throws {
        try await write("releasing queued runs") { db in
            try Self.queueUnderTheirClaims(
                db, Row.fetchAll(db, sql: Self.claimedRunningSQL + " AND r.claimed_by = ?", arguments: [processId]))
            try db.execute(
                sql: "UPDATE pending_runs SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ?",
                arguments: [processId])
            try db.execute(sql: "DELETE FROM scheduler_processes WHERE process_id = ?", arguments: [processId])
        }
    }

    /// Whether `runId` has a queue row (some scheduler owes it work).
    package func isQueued(runId: String) throws -> Bool {
        try read("reading the queue row of run \(runId)") { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM pending_runs WHERE run_id = ?)"), arguments: [runId]) ?? false
        }
    }

    /// Number of queue rows (all processes): accepted runs the schedulers still owe work.
    package func queuedRunCount() throws -> Int {
        try read("counting queued runs") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending_runs") ?? 0
        }
    }

    // MARK: - Helpers

    /// Runs `running` under a claim in `runs.claimed_by` and without a queue row, as `r`; append
    /// conditions with `AND`.
    private static let claimedRunningSQL = """
        SELECT r.run_id, r.graph_id, r.claimed_by FROM runs r
        WHERE r.status = 'running' AND r.claimed_by IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM pending_runs q WHERE q.run_id = r.run_id)
        """

    /// Gives the runs `running` under the claim of a process that is gone a queue row under that
    /// same claim, which the caller then takes over for `process` with the other rows.
    private static func queueOrphanedRunningRuns(_ db: Database, for process: SchedulerProcess) throws {
        let rows = try Row.fetchAll(db, sql: claimedRunningSQL + " AND r.claimed_by != ?", arguments: [process.id])
        guard !rows.isEmpty else { return }
        let dead = try deadOwners(db, among: Set(rows.map { $0["claimed_by"] as String }), seenBy: process)
        try queueUnderTheirClaims(db, rows.filter { dead.contains($0["claimed_by"] as String) })
    }

    /// Gives each run of `rows` (read with ``claimedRunningSQL``) a queue row under its own claim.
    private static func queueUnderTheirClaims(_ db: Database, _ rows: [Row]) throws {
        let now = ColumnCoding.timestamp(Date())
        for row in rows {
            _ = try insertQueueRow(
                db, runId: row["run_id"], graphId: row["graph_id"], params: .object([:]), response: nil,
                idempotency: nil, claimedBy: row["claimed_by"], now: now)
        }
    }

    private static func insertQueueRow(
        _ db: Database, runId: String, graphId: String, params: JSONValue, response: JSONValue?,
        idempotency: IdempotencyEntry.Key?, claimedBy processId: String, now: String
    ) throws -> QueuedRun {
        try db.cachedStatement(sql: """
            INSERT INTO pending_runs (run_id, graph_id, params, idempotency_key, request_hash, enqueued_at,
                available_at, claimed_by, claimed_at, response)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                runId, graphId, ColumnCoding.json(params), idempotency?.key, idempotency?.requestHash, now, now,
                processId, now, response.map(ColumnCoding.json),
            ])
        return QueuedRun(order: db.lastInsertedRowID, runId: runId, graphId: graphId, response: response)
    }

    private static func discard(_ db: Database, runIds: [String]) throws {
        for runId in runIds {
            try db.cachedStatement(sql: "DELETE FROM pending_runs WHERE run_id = ?").execute(arguments: [runId])
            try db.cachedStatement(sql: "DELETE FROM idempotency_keys WHERE run_id = ?").execute(arguments: [runId])
        }
    }

    /// The owners among `owners` that are not live scheduler processes, as seen by `process`.
    private static func deadOwners(_ db: Database, among owners: Set<String>, seenBy process: SchedulerProcess) throws -> Set<String> {
        try owners.filter { owner in
            guard let row = try SchedulerProcessRow.fetch(db, processId: owner) else { return true }
            return !process.considersAlive(row)
        }
    }
}
