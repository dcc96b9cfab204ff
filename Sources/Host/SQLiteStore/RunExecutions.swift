import Foundation
import GRDB
import StargraphCore
import StargraphStore

extension SQLiteRunStore {
    /// Takes run `runId` for `process`, which is about to execute its steps as `command` (e.g.
    /// `stargraph resume`). Refused with ``StoreError/runExecutingElsewhere(runId:holder:)`` while
    /// a live process holds it, or a live `stargraph serve` has it claimed.
    package func claimExecution(runId: String, by process: SchedulerProcess, command: String) async throws -> RunExecutionClaim {
        try await write("claiming run \(runId)") { db in
            if let holder = try Self.liveHolder(db, runId: runId, seenBy: process) {
                throw StoreError.runExecutingElsewhere(runId: runId, holder: holder)
            }
            // Whoever held it before is gone: fence it off the run.
            try db.execute(sql: "UPDATE runs SET lease_epoch = lease_epoch + 1 WHERE run_id = ?", arguments: [runId])
            let now = ColumnCoding.timestamp(Date())
            try db.execute(sql: """
                INSERT OR REPLACE INTO run_executions (run_id, process_id, host, pid, start_ticks, command, started_at, heartbeat_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runId, process.id, process.host, process.pid, process.startTicks, command, now, now])
        }
        return RunExecutionClaim(runId: runId, process: process, store: self)
    }

    package func releaseExecution(runId: String, by process: SchedulerProcess) async throws {
        try await write("releasing run \(runId)") { db in
            try db.execute(
                sql: "DELETE FROM run_executions WHERE run_id = ? AND process_id = ?", arguments: [runId, process.id])
        }
    }

    package func refreshExecution(runId: String, by process: SchedulerProcess) async throws {
        try await write("refreshing the claim of run \(runId)") { db in
            try db.execute(
                sql: "UPDATE run_executions SET heartbeat_at = ? WHERE run_id = ? AND process_id = ?",
                arguments: [ColumnCoding.timestamp(Date()), runId, process.id])
        }
    }

    /// The live process that executes `runId` now, if any: a `run_executions` holder, or the
    /// scheduler that claims the run (in `runs.claimed_by` while it runs, or in its queue row).
    private static func liveHolder(_ db: Database, runId: String, seenBy process: SchedulerProcess) throws -> RunExecutionHolder? {
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM run_executions WHERE run_id = ?", arguments: [runId]) {
            let holder = SchedulerProcessRow(row: row)
            if process.considersAlive(holder) {
                return RunExecutionHolder(pid: holder.pid, host: holder.host, command: row["command"])
            }
        }
        let schedulers = try String.fetchAll(db, sql: """
            SELECT claimed_by FROM runs WHERE run_id = ? AND status = 'running' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM pending_runs WHERE run_id = ? AND claimed_by IS NOT NULL
            """, arguments: [runId, runId])
        for scheduler in schedulers {
            guard let row = try SchedulerProcessRow.fetch(db, processId: scheduler), process.considersAlive(row) else { continue }
            return RunExecutionHolder(pid: row.pid, host: row.host, command: "stargraph serve")
        }
        return nil
    }
}
