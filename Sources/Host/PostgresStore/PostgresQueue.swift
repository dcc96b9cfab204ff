import Foundation
import PostgresNIO
import StargraphCore
import StargraphStore

/// The schedulers' queue (``RunQueue``): queue rows, idempotency keys, live processes, cron fires.
extension PostgresRunStore {
    /// Writes what `admission` says in the transaction that inserts `run`: its idempotency key,
    /// and its queue row unless it starts at once.
    func admit(_ connection: PostgresConnection, run: RunRecord, _ admission: RunAdmission) async throws -> QueuedRun? {
        switch admission {
        case .started(let idempotency, _):
            try await recordIdempotency(connection, idempotency, runId: run.runId)
            return nil
        case .queued(let params, let idempotency, let processId):
            try await recordIdempotency(connection, idempotency, runId: run.runId)
            return try await insertQueueRow(
                connection, runId: run.runId, graphId: run.graphId, params: params, response: nil, idempotency: idempotency,
                claimedBy: processId)
        }
    }

    package func requeue(
        runId: String, whenStatus status: RunStatus, response: JSONValue?, claimedBy processId: String
    ) async throws -> EnqueueOutcome {
        try await write("queueing run \(runId) again") { connection in
            let rows = try await connection.query(
                "SELECT status, graph_id FROM runs WHERE run_id = \(runId) FOR UPDATE", logger: self.logger).collect()
            let current = try rows.first.map { try $0.decode((String, String).self) }
            guard let current, RunStatus(rawValue: current.0) == status else {
                return .statusChanged(current.flatMap { RunStatus(rawValue: $0.0) })
            }
            let queued = try await connection.query("SELECT 1 FROM pending_runs WHERE run_id = \(runId)", logger: self.logger).collect()
            guard queued.isEmpty else { return .alreadyQueued }
            return .queued(try await self.insertQueueRow(
                connection, runId: runId, graphId: current.1, params: .object([:]), response: response, idempotency: nil,
                claimedBy: processId))
        }
    }

    package func dequeue(runId: String) async throws {
        try await write("removing run \(runId) from the queue") { connection in
            try await connection.query("DELETE FROM pending_runs WHERE run_id = \(runId)", logger: self.logger)
        }
    }

    package func discardQueued(runId: String) async throws {
        try await write("discarding queued run \(runId)") { connection in
            try await self.discard(connection, runIds: [runId])
        }
    }

    package func idempotencyEntry(key: String) async throws -> IdempotencyEntry? {
        try await read("reading idempotency key") { connection in
            try await connection.query("SELECT request_hash, run_id FROM idempotency_keys WHERE key = \(key)", logger: self.logger)
                .collect().first.map { row in
                    let (hash, runId) = try row.decode((String, String).self)
                    return IdempotencyEntry(requestHash: hash, runId: runId)
                }
        }
    }

    /// Takes over, for `process`, the queue rows no live scheduler owns, oldest first, as the
    /// SQLite store does; rows are locked (`FOR UPDATE SKIP LOCKED`) so two hosts sweeping at
    /// once never take the same row.
    package func claimAbandonedRuns(for process: SchedulerProcess) async throws -> [QueuedRun] {
        try await write("claiming abandoned queued runs") { connection in
            try await self.queueOrphanedRunningRuns(connection, for: process)
            let rows = try await connection.query("""
                SELECT q.id, q.run_id, q.graph_id, q.response, q.claimed_by, r.run_id IS NOT NULL AS has_run
                FROM pending_runs q LEFT JOIN runs r ON r.run_id = q.run_id
                WHERE q.claimed_by IS NULL OR q.claimed_by != \(process.id) ORDER BY q.id FOR UPDATE OF q SKIP LOCKED
                """, logger: self.logger).collect()
                .map { try $0.decode((Int64, String, String, String?, String?, Bool).self) }
            guard !rows.isEmpty else { return [] }
            let dead = try await self.deadOwners(connection, among: Set(rows.compactMap(\.4)), seenBy: process)
            let abandoned = rows.filter { row in row.4.map(dead.contains) ?? true }
            try await self.discard(connection, runIds: abandoned.filter { !$0.5 }.map(\.1))
            let now = Timestamps.format(Date())
            var claimed: [QueuedRun] = []
            for row in abandoned where row.5 {
                try await connection.query("""
                    UPDATE pending_runs SET claimed_by = \(process.id), claimed_at = \(now), attempts = attempts + 1 WHERE id = \(row.0)
                    """, logger: self.logger)
                try await connection.query("UPDATE runs SET lease_epoch = lease_epoch + 1 WHERE run_id = \(row.1)", logger: self.logger)
                claimed.append(QueuedRun(
                    order: row.0, runId: row.1, graphId: row.2, response: try row.3.map { try JSONParser.parse($0) }))
            }
            for owner in dead {
                try await connection.query("DELETE FROM scheduler_processes WHERE process_id = \(owner)", logger: self.logger)
            }
            return claimed
        }
    }

    package func releaseClaims(of processId: String) async throws {
        try await write("releasing queued runs") { connection in
            try await self.queueUnderTheirClaims(connection, self.claimedRunning(connection, ownedBy: processId, only: true))
            try await connection.query(
                "UPDATE pending_runs SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = \(processId)", logger: self.logger)
            try await connection.query("DELETE FROM scheduler_processes WHERE process_id = \(processId)", logger: self.logger)
        }
    }

    package func isQueued(runId: String) async throws -> Bool {
        try await read("reading the queue row of run \(runId)") { connection in
            try await !connection.query("SELECT 1 FROM pending_runs WHERE run_id = \(runId)", logger: self.logger).collect().isEmpty
        }
    }

    package func queuedRunCount() async throws -> Int {
        try await read("counting queued runs") { connection in
            try await connection.query("SELECT COUNT(*) FROM pending_runs", logger: self.logger).collect().first?.decode(Int.self) ?? 0
        }
    }

    // MARK: - Helpers

    private func recordIdempotency(_ connection: PostgresConnection, _ idempotency: IdempotencyEntry.Key?, runId: String) async throws {
        guard let idempotency else { return }
        do {
            try await connection.query("""
                INSERT INTO idempotency_keys (key, request_hash, run_id, created_at)
                VALUES (\(idempotency.key), \(idempotency.requestHash), \(runId), \(Timestamps.format(Date())))
                """, logger: logger)
        } catch where Self.isUniqueViolation(error, of: "idempotency_keys_pkey") {
            throw StoreError.idempotencyKeyTaken(key: idempotency.key)
        }
    }

    private func insertQueueRow(
        _ connection: PostgresConnection, runId: String, graphId: String, params: JSONValue, response: JSONValue?,
        idempotency: IdempotencyEntry.Key?, claimedBy processId: String
    ) async throws -> QueuedRun {
        let now = Timestamps.format(Date())
        let id = try await connection.query("""
            INSERT INTO pending_runs (run_id, graph_id, params, idempotency_key, request_hash, enqueued_at, available_at,
                claimed_by, claimed_at, response)
            VALUES (\(runId), \(graphId), \(ColumnCoding.json(params)), \(idempotency?.key), \(idempotency?.requestHash), \(now),
                \(now), \(processId), \(now), \(response.map(ColumnCoding.json)))
            RETURNING id
            """, logger: logger).collect().first?.decode(Int64.self) ?? QueuedRun.unqueued
        return QueuedRun(order: id, runId: runId, graphId: graphId, response: response)
    }

    /// Runs `running` under a scheduler's claim in `runs.claimed_by` and without a queue row:
    /// those of `processId` when `only`, else those of every other process.
    private func claimedRunning(
        _ connection: PostgresConnection, ownedBy processId: String, only: Bool
    ) async throws -> [(runId: String, graphId: String, claimedBy: String)] {
        try await connection.query("""
            SELECT r.run_id, r.graph_id, r.claimed_by FROM runs r
            WHERE r.status = 'running' AND r.claimed_by IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM pending_runs q WHERE q.run_id = r.run_id)
                AND (r.claimed_by = \(processId)) = \(only)
            """, logger: logger).collect().map { try $0.decode((String, String, String).self) }
            .map { (runId: $0.0, graphId: $0.1, claimedBy: $0.2) }
    }

    /// Gives the runs `running` under the claim of a process that is gone a queue row under that
    /// same claim, which the caller then takes over for `process` with the other rows.
    private func queueOrphanedRunningRuns(_ connection: PostgresConnection, for process: SchedulerProcess) async throws {
        let rows = try await claimedRunning(connection, ownedBy: process.id, only: false)
        guard !rows.isEmpty else { return }
        let dead = try await deadOwners(connection, among: Set(rows.map(\.claimedBy)), seenBy: process)
        try await queueUnderTheirClaims(connection, rows.filter { dead.contains($0.claimedBy) })
    }

    private func queueUnderTheirClaims(
        _ connection: PostgresConnection, _ rows: [(runId: String, graphId: String, claimedBy: String)]
    ) async throws {
        for row in rows {
            _ = try await insertQueueRow(
                connection, runId: row.runId, graphId: row.graphId, params: .object([:]), response: nil, idempotency: nil,
                claimedBy: row.claimedBy)
        }
    }

    private func discard(_ connection: PostgresConnection, runIds: [String]) async throws {
        for runId in runIds {
            try await connection.query("DELETE FROM pending_runs WHERE run_id = \(runId)", logger: logger)
            try await connection.query("DELETE FROM idempotency_keys WHERE run_id = \(runId)", logger: logger)
        }
    }

    /// The owners among `owners` that are not live scheduler processes, as seen by `process`.
    private func deadOwners(_ connection: PostgresConnection, among owners: Set<String>, seenBy process: SchedulerProcess) async throws -> Set<String> {
        var dead: Set<String> = []
        for owner in owners {
            let row = try await schedulerProcess(connection, processId: owner)
            if row.map({ !process.considersAlive($0) }) ?? true { dead.insert(owner) }
        }
        return dead
    }

    /// The `scheduler_processes` row of `processId`, if that process registered.
    func schedulerProcess(_ connection: PostgresConnection, processId: String) async throws -> SchedulerProcessRow? {
        try await connection.query("""
            SELECT process_id, host, pid, start_ticks, heartbeat_at FROM scheduler_processes WHERE process_id = \(processId)
            """, logger: logger).collect().first.map { row in
            let (id, host, pid, ticks, heartbeat) = try row.decode((String, String, Int, String?, String).self)
            return SchedulerProcessRow(
                processId: id, host: host, pid: Int32(pid), startTicks: ticks, heartbeatAt: Timestamps.parse(heartbeat) ?? .distantPast)
        }
    }
}
