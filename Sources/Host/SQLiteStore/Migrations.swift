import Foundation
import GRDB
import StargraphStore
import Logging

/// The store's schema, as numbered forward-only migrations.
///
/// Never edit a registered migration: add a new one with the next number.
package enum StoreMigrations {
    /// Identifiers of every migration, in application order.
    package static let identifiers = [
        "001_runs_checkpoints", "002_runs_history_pending_runs", "003_artifacts", "004_scheduler", "005_status_triggers",
        "006_graph_sources", "007_runs_history_without_autoincrement", "008_runs_claimed_by",
        "009_store_probe", "010_run_executions", "011_audit_anchors", "012_webhook_outbox",
        "013_runs_lease_epoch", "014_run_control_requests",
    ]

    /// The migrator holding every migration of the store.
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(identifiers[0], migrate: createRunsCheckpointsEvents)
        migrator.registerMigration(identifiers[1], migrate: createHistoryAndPendingRuns)
        migrator.registerMigration(identifiers[2], migrate: createArtifacts)
        migrator.registerMigration(identifiers[3], migrate: createSchedulerTables)
        migrator.registerMigration(identifiers[4], migrate: createStatusTriggers)
        migrator.registerMigration(identifiers[5], migrate: createGraphSources)
        migrator.registerMigration(identifiers[6], migrate: dropRunsHistoryAutoincrement)
        migrator.registerMigration(identifiers[7], migrate: addRunsClaimedBy)
        migrator.registerMigration(identifiers[8], migrate: createStoreProbe)
        migrator.registerMigration(identifiers[9], migrate: createRunExecutions)
        migrator.registerMigration(identifiers[10], migrate: createAuditAnchors)
        migrator.registerMigration(identifiers[11], migrate: createWebhookOutbox)
        migrator.registerMigration(identifiers[12], migrate: addRunsLeaseEpoch)
        migrator.registerMigration(identifiers[13], migrate: createRunControlRequests)
        return migrator
    }

    /// Applies the pending migrations of `pool`, tolerating other processes that migrate the same
    /// file at the same moment.
    ///
    /// GRDB reads the applied migrations before taking the write lock, so two processes opening a
    /// fresh file can both decide to run `001`; the loser then fails with "table already exists"
    /// or a duplicate `grdb_migrations` row. Each migration is its own transaction, so nothing is
    /// half-applied: re-running the migrator re-reads the applied set and continues where the
    /// winner stopped.
    package static func migrate(_ pool: DatabasePool, path: String, logger: Logger) throws(StoreError) {
        let migrator = migrator
        let maximumAttempts = 5
        var attempt = 1
        while true {
            do {
                let (foreign, unknown) = try pool.read { db in
                    (try foreignTables(db), try unknownMigrations(db, migrator: migrator))
                }
                if !foreign.isEmpty { throw StoreError.foreignDatabase(path: path, tables: foreign) }
                if !unknown.isEmpty { throw StoreError.schemaTooNew(path: path, unknownMigrations: unknown) }
                try migrator.migrate(pool)
                return
            } catch let error as StoreError {
                throw error
            } catch {
                let completed = (try? pool.read { db in try migrator.hasCompletedMigrations(db) }) ?? false
                if completed { return }
                guard attempt < maximumAttempts else {
                    throw .migrationFailed(path: path, detail: String(describing: error))
                }
                logger.debug("migration raced with another process, retrying", metadata: [
                    "path": "\(path)", "attempt": "\(attempt)", "error": "\(error)",
                ])
                attempt += 1
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    /// The tables of a database that has tables but no migration history (another program's
    /// file), each as `table NAME has columns A, B`; empty for a new or a stargraph database.
    /// The history table is created before any migration's table, so a database another process
    /// is migrating right now is never taken for a foreign one.
    private static func foreignTables(_ db: Database) throws -> [String] {
        guard try !db.tableExists("grdb_migrations") else { return [] }
        let names = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        return try names.map { name in
            let columns = try db.columns(in: name).map(\.name)
            return "table \(name) has columns \(columns.joined(separator: ", "))"
        }
    }

    /// Applied migrations this build does not know (the database is newer than the code).
    private static func unknownMigrations(_ db: Database, migrator: DatabaseMigrator) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        return try migrator.appliedIdentifiers(db).subtracting(identifiers).sorted()
    }

    /// 001: `runs`, `checkpoints` and the per-run `events` log.
    private static func createRunsCheckpointsEvents(_ db: Database) throws {
        try db.create(table: "runs") { table in
            table.primaryKey("run_id", .text)
            table.column("graph_id", .text).notNull()
            table.column("graph_hash", .text).notNull()
            table.column("graph_source", .text).notNull()
            table.column("graph_origin", .text).notNull()
            table.column("status", .text).notNull()
            table.column("inputs", .text).notNull()
            table.column("state", .text).notNull()
            table.column("facts", .text).notNull()
            table.column("step_count", .integer).notNull()
            table.column("next_action", .text).notNull()
            table.column("max_steps", .integer).notNull()
            table.column("error_class", .text)
            table.column("error_cause", .text)
            table.column("parent_run_id", .text)
            table.column("from_step", .integer)
            table.column("mutation", .text)
            table.column("created_at", .text).notNull()
            table.column("started_at", .text)
            table.column("finished_at", .text)
            table.column("updated_at", .text).notNull()
        }
        try db.create(index: "runs_on_status", on: "runs", columns: ["status"])
        try db.create(index: "runs_on_graph_id", on: "runs", columns: ["graph_id"])
        try db.create(index: "runs_on_parent_run_id", on: "runs", columns: ["parent_run_id"])
        try db.create(index: "runs_on_created_at", on: "runs", columns: ["created_at"])

        try db.create(table: "checkpoints") { table in
            table.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
            table.column("step", .integer).notNull()
            table.column("branch_id", .text).notNull()
            table.column("node", .text).notNull()
            table.column("state", .text).notNull()
            table.column("facts", .text).notNull()
            table.column("next_action", .text).notNull()
            table.column("output", .text).notNull()
            table.column("input_hash", .text).notNull()
            table.column("output_hash", .text).notNull()
            table.column("graph_hash", .text).notNull()
            table.column("rules_fired", .text).notNull()
            table.column("effects", .text).notNull()
            table.column("ts", .text).notNull()
            table.primaryKey(["run_id", "step", "branch_id"])
        }

        try db.create(table: "events") { table in
            table.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
            table.column("seq", .integer).notNull()
            table.column("step", .integer)
            table.column("type", .text).notNull()
            table.column("ts", .text).notNull()
            table.column("payload", .text).notNull()
            table.primaryKey(["run_id", "seq"])
        }
    }

    /// 002: the status history of runs and the durable queue the scheduler claims work from.
    private static func createHistoryAndPendingRuns(_ db: Database) throws {
        try db.create(table: "runs_history") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("run_id", .text).notNull().indexed().references("runs", onDelete: .cascade)
            table.column("status", .text).notNull()
            table.column("ts", .text).notNull()
        }

        try db.create(table: "pending_runs") { table in
            table.primaryKey("id", .integer)
            table.column("run_id", .text).notNull().unique()
            table.column("graph_id", .text).notNull()
            table.column("params", .text).notNull()
            table.column("idempotency_key", .text).unique()
            table.column("request_hash", .text)
            table.column("enqueued_at", .text).notNull()
            table.column("available_at", .text).notNull()
            table.column("claimed_by", .text)
            table.column("claimed_at", .text)
            table.column("attempts", .integer).notNull().defaults(to: 0)
        }
        try db.create(index: "pending_runs_on_graph_id", on: "pending_runs", columns: ["graph_id"])
        try db.create(index: "pending_runs_on_available_at", on: "pending_runs", columns: ["available_at"])
    }

    /// 005: what a status change implies, kept by SQLite in the writing transaction itself, and
    /// a leaner write path for the queue.
    /// - Every status a run takes (on insert, and on each change) is appended to `runs_history`.
    /// - A run that stops — done, failed, cancelled, paused or awaiting input — leaves the
    ///   scheduler's queue (`pending_runs`): nothing is owed to it until a resume or a response
    ///   queues it again. A row queued while the run is stopped (resume, respond) stays.
    /// - `pending_runs` keeps only its `run_id` index: it holds just the runs in flight, so the
    ///   other indexes (and the idempotency-key uniqueness, which `idempotency_keys` enforces
    ///   since 004) cost every accepted run writes that no query needed.
    /// - `runs_on_parent_run_id` indexes forks only; runs that are not forks have no entry.
    private static func createStatusTriggers(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE pending_runs_lean (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL UNIQUE,
                graph_id TEXT NOT NULL,
                params TEXT NOT NULL,
                idempotency_key TEXT,
                request_hash TEXT,
                enqueued_at TEXT NOT NULL,
                available_at TEXT NOT NULL,
                claimed_by TEXT,
                claimed_at TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                response TEXT
            );
            INSERT INTO pending_runs_lean
                SELECT id, run_id, graph_id, params, idempotency_key, request_hash, enqueued_at, available_at,
                    claimed_by, claimed_at, attempts, response
                FROM pending_runs;
            DROP TABLE pending_runs;
            ALTER TABLE pending_runs_lean RENAME TO pending_runs;
            DROP INDEX runs_on_parent_run_id;
            CREATE INDEX runs_on_parent_run_id ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
            CREATE TRIGGER runs_history_on_insert AFTER INSERT ON runs BEGIN
                INSERT INTO runs_history (run_id, status, ts) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
            END;
            CREATE TRIGGER runs_history_on_status_change AFTER UPDATE OF status ON runs
            WHEN NEW.status IS NOT OLD.status BEGIN
                INSERT INTO runs_history (run_id, status, ts) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
            END;
            CREATE TRIGGER pending_runs_on_run_stop AFTER UPDATE OF status ON runs
            WHEN NEW.status IS NOT OLD.status
                AND NEW.status IN ('done', 'failed', 'cancelled', 'paused', 'awaiting_input') BEGIN
                DELETE FROM pending_runs WHERE run_id = NEW.run_id;
            END;
            """)
    }

    /// 006: a graph's YAML text is stored once in `graph_sources`, keyed by its SHA-256, instead
    /// of in every run row. A run row then stays small however long its graph's text is (a step
    /// rewrites the whole row; a 10 KB graph made every step write overflow pages). Runs stored
    /// earlier keep their text in `runs.graph_source`, and reads take it from there.
    private static func createGraphSources(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE graph_sources (source_hash TEXT PRIMARY KEY, source TEXT NOT NULL);
            ALTER TABLE runs ADD COLUMN graph_source_hash TEXT;
            """)
    }

    /// 007: `runs_history.id` is a plain `INTEGER PRIMARY KEY`, no longer `AUTOINCREMENT`.
    ///
    /// `AUTOINCREMENT` made every status change also rewrite the `sqlite_sequence` row, one more
    /// page in each commit that moves a run, only to keep ids of deleted rows from coming back;
    /// history rows are deleted only with their run. Ids still grow with each row, so a run's
    /// history keeps its order. The triggers that write the history are dropped and created
    /// again around the table's rebuild, since they name it.
    private static func dropRunsHistoryAutoincrement(_ db: Database) throws {
        try db.execute(sql: """
            DROP TRIGGER runs_history_on_insert;
            DROP TRIGGER runs_history_on_status_change;
            CREATE TABLE runs_history_plain (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                status TEXT NOT NULL,
                ts TEXT NOT NULL
            );
            INSERT INTO runs_history_plain (id, run_id, status, ts) SELECT id, run_id, status, ts FROM runs_history;
            DROP TABLE runs_history;
            ALTER TABLE runs_history_plain RENAME TO runs_history;
            CREATE INDEX runs_history_on_run_id ON runs_history (run_id);
            DELETE FROM sqlite_sequence WHERE name = 'runs_history';
            CREATE TRIGGER runs_history_on_insert AFTER INSERT ON runs BEGIN
                INSERT INTO runs_history (run_id, status, ts) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
            END;
            CREATE TRIGGER runs_history_on_status_change AFTER UPDATE OF status ON runs
            WHEN NEW.status IS NOT OLD.status BEGIN
                INSERT INTO runs_history (run_id, status, ts) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
            END;
            """)
    }

    /// 008: `runs.claimed_by`, the scheduler process that owes a run work when the run was
    /// accepted straight into a worker.
    ///
    /// Such a run used to get a `pending_runs` row too, inserted at acceptance and deleted by
    /// trigger when it stopped: four index writes on two more trees in the commits of nearly
    /// every run, only so that a restart could find it. Recovery now also finds runs that are
    /// `running` with a `claimed_by` of a process that is gone, and queues them then. Runs of
    /// `stargraph run` have no `claimed_by`, and no scheduler ever takes them.
    private static func addRunsClaimedBy(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE runs ADD COLUMN claimed_by TEXT")
    }

    /// 013: `runs.lease_epoch`, moved on at each takeover of the run; writes of the run check it.
    private static func addRunsLeaseEpoch(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0")
    }

    /// 014: `run_control_requests`, a cancel or pause asked of a run another process executes;
    /// dropped when the run stops running.
    private static func createRunControlRequests(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE run_control_requests (
                run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
                control TEXT NOT NULL CHECK (control IN ('cancel', 'pause')),
                requested_at TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TRIGGER run_control_requests_on_run_stop AFTER UPDATE OF status ON runs
            WHEN NEW.status IS NOT OLD.status AND NEW.status != 'running' BEGIN
                DELETE FROM run_control_requests WHERE run_id = NEW.run_id;
            END;
            """)
    }

    /// 009: `store_probe`, one row that `/health` rewrites after a failed write to learn whether
    /// the database takes writes again. Its blob (256 KiB) makes the probe a commit larger than
    /// the commits of runs, so the little room a failed commit leaves does not pass for a healthy
    /// store.
    private static func createStoreProbe(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at TEXT NOT NULL, filler BLOB NOT NULL)
            """)
    }

    /// 010: `run_executions`, the process executing each run outside a scheduler (`stargraph run`
    /// and `resume`), so a second process refuses to execute the same run at once. A row whose
    /// process is gone (its pid, or its heartbeat from another host) no longer counts.
    private static func createRunExecutions(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE run_executions (
                run_id TEXT PRIMARY KEY,
                process_id TEXT NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                start_ticks TEXT,
                command TEXT NOT NULL,
                started_at TEXT NOT NULL,
                heartbeat_at TEXT NOT NULL
            )
            """)
    }

    /// 011: `audit_anchors`, the head of an audit log's chain recorded with each batch of writes
    /// it audits, so a log later found shorter or rewritten disagrees with its anchors. A chain is
    /// named by the hash of its first line, so a log verifies wherever it was moved.
    private static func createAuditAnchors(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE audit_anchors (
                chain_sha256 TEXT NOT NULL,
                seq INTEGER NOT NULL,
                line_sha256 TEXT NOT NULL,
                log_path TEXT NOT NULL,
                anchored_at TEXT NOT NULL,
                PRIMARY KEY (chain_sha256, seq)
            ) WITHOUT ROWID;
            CREATE INDEX audit_anchors_by_path ON audit_anchors (log_path);
            """)
    }
}
