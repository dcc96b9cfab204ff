import Foundation
import PostgresNIO
import StargraphCore
import StargraphStore

/// Live scheduler processes, cron fires, expired interrupts, and executions outside a scheduler.
extension PostgresRunStore {
    package func recordSchedulerHeartbeat(_ process: SchedulerProcess) async throws {
        let now = Timestamps.format(Date())
        try await write("recording scheduler heartbeat") { connection in
            try await connection.query("""
                INSERT INTO scheduler_processes (process_id, host, pid, start_ticks, started_at, heartbeat_at)
                VALUES (\(process.id), \(process.host), \(Int(process.pid)), \(process.startTicks), \(now), \(now))
                ON CONFLICT (process_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """, logger: self.logger)
        }
    }

    package func holdsClaims(_ process: SchedulerProcess) async throws -> Bool {
        try await read("reading the claims of this scheduler") { connection in
            try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM pending_runs WHERE claimed_by = \(process.id))
                    OR EXISTS (SELECT 1 FROM runs WHERE status = 'running' AND claimed_by = \(process.id))
                """, logger: self.logger).collect().first?.decode(Bool.self) ?? false
        }
    }

    package func nextActions(of status: RunStatus) async throws -> [(runId: String, nextAction: JSONValue)] {
        let rows = try await read("reading runs \(status.rawValue)") { connection in
            try await connection.query("SELECT run_id, next_action FROM runs WHERE status = \(status.rawValue)", logger: self.logger)
                .collect().map { try $0.decode((String, String).self) }
        }
        return rows.compactMap { row in (try? JSONParser.parse(row.1)).map { (row.0, $0) } }
    }

    package func lastTriggerFire(_ triggerId: String) async throws -> Date? {
        try await read("reading fires of trigger \(triggerId)") { connection in
            try await connection.query("SELECT MAX(fire_time) FROM trigger_fires WHERE trigger_id = \(triggerId)", logger: self.logger)
                .collect().first?.decode(String?.self).flatMap(Timestamps.parse)
        }
    }

    package func recordTriggerFire(_ triggerId: String, fireTime: Date, runId: String) async throws {
        try await write("recording a fire of trigger \(triggerId)") { connection in
            try await connection.query("""
                INSERT INTO trigger_fires (trigger_id, fire_time, run_id) VALUES (\(triggerId), \(Timestamps.format(fireTime)), \(runId))
                ON CONFLICT (trigger_id, fire_time) DO NOTHING
                """, logger: self.logger)
        }
    }

    package func requestControl(_ control: RunControl, runId: String) async throws -> Bool {
        try await write("asking for a \(control.rawValue) of run \(runId)") { connection in
            try await !connection.query("""
                INSERT INTO run_control_requests (run_id, control, requested_at)
                SELECT r.run_id, \(control.rawValue), \(Timestamps.format(Date())) FROM runs r
                WHERE r.run_id = \(runId) AND r.status = 'running' AND (r.claimed_by IS NOT NULL
                    OR EXISTS (SELECT 1 FROM pending_runs q WHERE q.run_id = r.run_id AND q.claimed_by IS NOT NULL))
                ON CONFLICT (run_id) DO UPDATE SET
                    control = CASE WHEN excluded.control = 'cancel' THEN 'cancel' ELSE run_control_requests.control END
                RETURNING run_id
                """, logger: self.logger).collect().isEmpty
        }
    }

    package func takeControlRequests(runIds: [String]) async throws -> [(runId: String, control: RunControl)] {
        guard !runIds.isEmpty else { return [] }
        let rows = try await write("taking control requests") { connection in
            try await connection.query(
                "DELETE FROM run_control_requests WHERE run_id = ANY(\(runIds)) RETURNING run_id, control", logger: self.logger
            ).collect().map { try $0.decode((String, String).self) }
        }
        return rows.compactMap { runId, text in RunControl(rawValue: text).map { (runId, $0) } }
    }

    // MARK: Executions outside a scheduler

    package func claimExecution(runId: String, by process: SchedulerProcess, command: String) async throws -> RunExecutionClaim {
        try await write("claiming run \(runId)") { connection in
            // Serialises claims of one run: the second waits for the first to commit, then sees it.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(runId)))", logger: self.logger)
            if let holder = try await self.liveHolder(connection, runId: runId, seenBy: process) {
                throw StoreError.runExecutingElsewhere(runId: runId, holder: holder)
            }
            // Whoever held it before is gone: fence it off the run.
            try await connection.query("UPDATE runs SET lease_epoch = lease_epoch + 1 WHERE run_id = \(runId)", logger: self.logger)
            let now = Timestamps.format(Date())
            try await connection.query("""
                INSERT INTO run_executions (run_id, process_id, host, pid, start_ticks, command, started_at, heartbeat_at)
                VALUES (\(runId), \(process.id), \(process.host), \(Int(process.pid)), \(process.startTicks), \(command), \(now), \(now))
                ON CONFLICT (run_id) DO UPDATE SET process_id = excluded.process_id, host = excluded.host, pid = excluded.pid,
                    start_ticks = excluded.start_ticks, command = excluded.command, started_at = excluded.started_at,
                    heartbeat_at = excluded.heartbeat_at
                """, logger: self.logger)
        }
        return RunExecutionClaim(runId: runId, process: process, store: self)
    }

    package func refreshExecution(runId: String, by process: SchedulerProcess) async throws {
        try await write("refreshing the claim of run \(runId)") { connection in
            try await connection.query("""
                UPDATE run_executions SET heartbeat_at = \(Timestamps.format(Date())) WHERE run_id = \(runId) AND process_id = \(process.id)
                """, logger: self.logger)
        }
    }

    package func releaseExecution(runId: String, by process: SchedulerProcess) async throws {
        try await write("releasing run \(runId)") { connection in
            try await connection.query(
                "DELETE FROM run_executions WHERE run_id = \(runId) AND process_id = \(process.id)", logger: self.logger)
        }
    }

    /// The live process that executes `runId` now, if any: a `run_executions` holder, or the
    /// scheduler that claims the run (in `runs.claimed_by` while it runs, or in its queue row).
    private func liveHolder(_ connection: PostgresConnection, runId: String, seenBy process: SchedulerProcess) async throws -> RunExecutionHolder? {
        let executions = try await connection.query("""
            SELECT process_id, host, pid, start_ticks, heartbeat_at, command FROM run_executions WHERE run_id = \(runId)
            """, logger: logger).collect()
        if let row = executions.first {
            let (id, host, pid, ticks, heartbeat, command) = try row.decode((String, String, Int, String?, String, String).self)
            let holder = SchedulerProcessRow(
                processId: id, host: host, pid: Int32(pid), startTicks: ticks, heartbeatAt: Timestamps.parse(heartbeat) ?? .distantPast)
            if process.considersAlive(holder) { return RunExecutionHolder(pid: holder.pid, host: host, command: command) }
        }
        let schedulers = try await connection.query("""
            SELECT claimed_by FROM runs WHERE run_id = \(runId) AND status = 'running' AND claimed_by IS NOT NULL
            UNION SELECT claimed_by FROM pending_runs WHERE run_id = \(runId) AND claimed_by IS NOT NULL
            """, logger: logger).collect().map { try $0.decode(String.self) }
        for scheduler in schedulers {
            guard let row = try await schedulerProcess(connection, processId: scheduler), process.considersAlive(row) else { continue }
            return RunExecutionHolder(pid: row.pid, host: row.host, command: "stargraph serve")
        }
        return nil
    }
}
