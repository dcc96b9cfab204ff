import Foundation
import GRDB

/// Reads. They use the pool's concurrent readers and see every write committed before the call.
extension RunStore {
    /// The run `runId`, or `nil` when it is not stored.
    /// - Throws: ``StoreError/corruptColumn(runId:column:detail:)`` when a column cannot be decoded.
    public func run(_ runId: String) throws -> RunRecord? {
        try read("reading run \(runId)") { db in
            try Row.fetchOne(db.cachedStatement(sql: RunRecord.selectSQL + " WHERE runs.run_id = ?"), arguments: [runId])
                .map { row throws(StoreError) in try RunRecord(row: row) }
        }
    }

    /// Every checkpoint of `runId`, ordered by step then branch id (empty for an unknown run).
    public func checkpoints(runId: String) throws -> [CheckpointRecord] {
        try read("reading checkpoints of run \(runId)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM checkpoints WHERE run_id = ? ORDER BY step, branch_id", arguments: [runId]
            ).map { row throws(StoreError) in try CheckpointRecord(row: row) }
        }
    }

    /// The checkpoint of step `step` on branch `main`, or `nil` when that step was not committed.
    public func checkpoint(runId: String, step: Int) throws -> CheckpointRecord? {
        try read("reading step \(step) of run \(runId)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM checkpoints WHERE run_id = ? AND step = ? AND branch_id = 'main'",
                arguments: [runId, step]
            ).map { row throws(StoreError) in try CheckpointRecord(row: row) }
        }
    }

    /// Events of `runId` with `seq > afterSeq`, in seq order, at most `limit` of them (all when nil).
    public func events(runId: String, afterSeq: Int = 0, limit: Int? = nil) throws -> [EventRecord] {
        try read("reading events of run \(runId)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [runId, afterSeq, limit ?? -1]
            ).map { row throws(StoreError) in try EventRecord(row: row) }
        }
    }

    /// Runs matching every given filter, newest first (`created_at`, then run id, descending), paged
    /// by `limit`/`offset`; `total` counts all matches regardless of paging.
    public func listRuns(
        status: RunStatus? = nil, graphId: String? = nil, parentRunId: String? = nil, limit: Int = 50, offset: Int = 0
    ) throws -> (runs: [RunRecord], total: Int) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let graphId {
            conditions.append("graph_id = ?")
            arguments += [graphId]
        }
        if let parentRunId {
            conditions.append("parent_run_id = ?")
            arguments += [parentRunId]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let filterArguments = arguments
        let page = StatementArguments([max(limit, 0), max(offset, 0)])
        let result: ([RunRecord], Int) = try read("listing runs") { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM runs \(filter)"), arguments: filterArguments) ?? 0
            let runs = try Row.fetchAll(
                db, sql: RunRecord.selectSQL + " \(filter) ORDER BY runs.created_at DESC, runs.run_id DESC LIMIT ? OFFSET ?",
                arguments: filterArguments + page
            ).map { row throws(StoreError) in try RunRecord(row: row) }
            return (runs, total)
        }
        return (runs: result.0, total: result.1)
    }

    /// The statuses `runId` went through, oldest first (empty for an unknown run).
    public func history(runId: String) throws -> [(status: RunStatus, ts: Date)] {
        let rows: [(RunStatus, Date)] = try read("reading status history of run \(runId)") { db in
            try Row.fetchAll(
                db, sql: "SELECT status, ts FROM runs_history WHERE run_id = ? ORDER BY id", arguments: [runId]
            ).map { row throws(StoreError) in
                let text: String = row["status"]
                guard let status = RunStatus(rawValue: text) else {
                    throw .corruptColumn(runId: runId, column: "runs_history.status", detail: "unknown status \(text)")
                }
                return (status, try ColumnCoding.timestamp(row["ts"] as String, runId: runId, column: "runs_history.ts"))
            }
        }
        return rows.map { (status: $0.0, ts: $0.1) }
    }

    /// Runs `body` on a reader, turning any failure into a ``StoreError``.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError.wrapping(error, operation: operation)
        }
    }
}
