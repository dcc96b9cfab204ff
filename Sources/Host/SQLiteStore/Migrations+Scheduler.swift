import GRDB

extension StoreMigrations {
    /// 004: what the scheduler keeps beside the `pending_runs` queue of migration 002.
    ///
    /// - `idempotency_keys`: every `Idempotency-Key` ever accepted with the hash of its request
    ///   and its run; it outlives the queue row, which is deleted once the run stops.
    /// - `scheduler_processes`: the processes that claim queue rows, so another process can tell
    ///   a live claim from the claim of a killed one.
    /// - `trigger_fires`: one row per cron fire, so a restart never fires the same time twice.
    /// - `pending_runs.response`: the answer queued for a run awaiting input.
    package static func createSchedulerTables(_ db: Database) throws {
        try db.create(table: "idempotency_keys") { table in
            table.primaryKey("key", .text)
            table.column("request_hash", .text).notNull()
            table.column("run_id", .text).notNull().indexed()
            table.column("created_at", .text).notNull()
        }
        try db.create(table: "scheduler_processes") { table in
            table.primaryKey("process_id", .text)
            table.column("host", .text).notNull()
            table.column("pid", .integer).notNull()
            table.column("start_ticks", .text)
            table.column("started_at", .text).notNull()
            table.column("heartbeat_at", .text).notNull()
        }
        try db.create(table: "trigger_fires") { table in
            table.column("trigger_id", .text).notNull()
            table.column("fire_time", .text).notNull()
            table.column("run_id", .text)
            table.primaryKey(["trigger_id", "fire_time"])
        }
        try db.alter(table: "pending_runs") { table in
            table.add(column: "response", .text)
        }
        try db.create(index: "pending_runs_on_claimed_by", on: "pending_runs", columns: ["claimed_by"])
    }
}
