import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// Reads. They use the pool's concurrent readers and see every write committed before the call.
extension SQLiteRunStore {
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
    public func events(runId: String, afterSeq: Int, limit: Int?) throws -> [EventRecord] {
        try read("reading events of run \(runId)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [runId, afterSeq, limit ?? -1]
            ).map { row throws(StoreError) in try EventRecord(row: row) }
        }
    }

    /// Runs matching every given filter, newest first (`created_at`, then run id, descending).
    ///
    /// A page continues `after` the last run of the previous one (keyset paging): runs inserted
    /// meanwhile are newer, so they sort before the cursor, and a walk from the first page to the
    /// last sees every run that existed when it began exactly once. `offset` skips runs the older
    /// way (it shifts when runs are inserted). `total` counts every match, whatever the page.
    public func listRuns(_ query: RunQuery) throws -> RunPage {
        let conditions = query.filters.map(\.condition)
        let arguments = StatementArguments(query.filters.map(\.value))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let filterArguments = arguments
        var pageConditions = conditions
        var pageArguments = arguments
        if let cursor = query.after {
            pageConditions.append("(created_at, run_id) < (?, ?)")
            pageArguments += [Timestamps.format(cursor.createdAt), cursor.runId]
        }
        let pageFilter = pageConditions.isEmpty ? "" : "WHERE " + pageConditions.joined(separator: " AND ")
        let pageSize = max(query.limit, 0)
        pageArguments += [pageSize + 1, max(query.offset, 0)]
        let finalArguments = pageArguments
        return try read("listing runs") { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM runs \(filter)"), arguments: filterArguments) ?? 0
            var runs = try Row.fetchAll(
                db, sql: RunRecord.selectSQL + " \(pageFilter) ORDER BY runs.created_at DESC, runs.run_id DESC LIMIT ? OFFSET ?",
                arguments: finalArguments
            ).map { row throws(StoreError) in try RunRecord(row: row) }
            let more = runs.count > pageSize
            if more { runs.removeLast() }
            return RunPage(runs: runs, total: total, next: more ? runs.last.map { RunPageCursor(createdAt: $0.createdAt, runId: $0.runId) } : nil)
        }
    }

    /// Every graph id a stored run names, in id order.
    public func storedGraphIds() throws -> [String] {
        try read("listing the graphs of stored runs") { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT graph_id FROM runs ORDER BY graph_id")
        }
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
    package func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError.wrapping(error, operation: operation)
        }
    }
}
