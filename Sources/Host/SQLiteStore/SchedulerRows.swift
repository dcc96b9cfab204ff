import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// The scheduler's own rows of migration 004 (live processes and cron fires), and what it reads
/// of runs to find expired interrupts.
extension SQLiteRunStore {
    /// Records (or refreshes) `process` as a live scheduler; call before it claims queue rows,
    /// then every ``SchedulerProcess/heartbeatInterval`` while it holds claims.
    package func recordSchedulerHeartbeat(_ process: SchedulerProcess) async throws {
        try await write("recording scheduler heartbeat") { db in
            let now = ColumnCoding.timestamp(Date())
            try db.cachedStatement(sql: """
                INSERT INTO scheduler_processes (process_id, host, pid, start_ticks, started_at, heartbeat_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(process_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """).execute(arguments: [process.id, process.host, process.pid, process.startTicks, now, now])
        }
    }

    /// Whether `process` holds a claim (a queue row, or a running run in `runs.claimed_by`):
    /// only then do other processes need its heartbeat to tell its claims live, so an idle
    /// scheduler does not refresh it.
    package func holdsClaims(_ process: SchedulerProcess) throws -> Bool {
        try read("reading the claims of this scheduler") { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM pending_runs WHERE claimed_by = ?)
                    OR EXISTS (SELECT 1 FROM runs WHERE status = 'running' AND claimed_by = ?)
                """, arguments: [process.id, process.id]) ?? false
        }
    }

    /// The runs in `status` with what each does next (its last routing decision), for the
    /// scheduler to find interrupts whose timeout has run out.
    package func nextActions(of status: RunStatus) throws -> [(runId: String, nextAction: JSONValue)] {
        let rows = try read("reading runs \(status.rawValue)") { db in
            try Row.fetchAll(db, sql: "SELECT run_id, next_action FROM runs WHERE status = ?", arguments: [status.rawValue])
                .map { (runId: $0["run_id"] as String, nextAction: $0["next_action"] as String) }
        }
        return rows.compactMap { row in (try? JSONParser.parse(row.nextAction)).map { (row.runId, $0) } }
    }

    /// The latest fire time recorded for cron trigger `triggerId`, if it ever fired.
    package func lastTriggerFire(_ triggerId: String) throws -> Date? {
        try read("reading fires of trigger \(triggerId)") { db in
            try String.fetchOne(
                db, sql: "SELECT MAX(fire_time) FROM trigger_fires WHERE trigger_id = ?", arguments: [triggerId]
            ).flatMap(Timestamps.parse)
        }
    }

    /// Records that trigger `triggerId` fired for `fireTime`, creating `runId` (kept when the
    /// fire was already recorded).
    package func recordTriggerFire(_ triggerId: String, fireTime: Date, runId: String) async throws {
        try await write("recording a fire of trigger \(triggerId)") { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO trigger_fires (trigger_id, fire_time, run_id) VALUES (?, ?, ?)",
                arguments: [triggerId, ColumnCoding.timestamp(fireTime), runId])
        }
    }
}

extension SQLiteRunStore {
    package func requestControl(_ control: RunControl, runId: String) async throws -> Bool {
        try await write("asking for a \(control.rawValue) of run \(runId)") { db in
            try db.execute(sql: """
                INSERT INTO run_control_requests (run_id, control, requested_at)
                SELECT r.run_id, ?, ? FROM runs r
                WHERE r.run_id = ? AND r.status = 'running' AND (r.claimed_by IS NOT NULL
                    OR EXISTS (SELECT 1 FROM pending_runs q WHERE q.run_id = r.run_id AND q.claimed_by IS NOT NULL))
                ON CONFLICT (run_id) DO UPDATE SET
                    control = CASE WHEN excluded.control = 'cancel' THEN 'cancel' ELSE run_control_requests.control END
                """, arguments: [control.rawValue, ColumnCoding.timestamp(Date()), runId])
            return db.changesCount > 0
        }
    }

    package func takeControlRequests(runIds: [String]) async throws -> [(runId: String, control: RunControl)] {
        guard !runIds.isEmpty else { return [] }
        let list = Array(repeating: "?", count: runIds.count).joined(separator: ", ")
        // A read first: no request, no write transaction.
        let any = try read("reading control requests") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run_control_requests WHERE run_id IN (\(list)))",
                              arguments: StatementArguments(runIds)) ?? false
        }
        guard any else { return [] }
        let rows: [(String, String)] = try await write("taking control requests") { db in
            try Row.fetchAll(db, sql: "DELETE FROM run_control_requests WHERE run_id IN (\(list)) RETURNING run_id, control",
                             arguments: StatementArguments(runIds)).map { ($0["run_id"], $0["control"]) }
        }
        return rows.compactMap { runId, text in RunControl(rawValue: text).map { (runId, $0) } }
    }
}

extension SchedulerProcessRow {
    /// The `scheduler_processes` row of `processId`, if that process registered.
    package static func fetch(_ db: Database, processId: String) throws -> SchedulerProcessRow? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT * FROM scheduler_processes WHERE process_id = ?", arguments: [processId])
        else { return nil }
        return SchedulerProcessRow(row: row)
    }

    /// The process columns of a `scheduler_processes` or `run_executions` row.
    package init(row: Row) {
        self.init(
            processId: row["process_id"], host: row["host"], pid: row["pid"], startTicks: row["start_ticks"],
            heartbeatAt: Timestamps.parse(row["heartbeat_at"]) ?? .distantPast)
    }
}
