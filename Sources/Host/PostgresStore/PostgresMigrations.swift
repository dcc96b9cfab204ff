import Foundation
import Logging
import PostgresNIO
import StargraphStore

/// The PostgreSQL store's schema, as numbered forward-only migrations: the same tables, columns
/// and status rules as the SQLite store's, every text column in byte order (`COLLATE "C"`, as
/// SQLite compares), JSON and timestamps kept as the same canonical text.
///
/// Never edit a registered migration: add one with the next number. Hosts that boot together
/// migrate once: each takes the same advisory lock for the migrating transaction.
enum PostgresMigrations {
    /// Every migration, in application order.
    static let all: [(identifier: String, sql: String)] = [
        ("001_initial", initial),
        ("002_runs_lease_epoch", "ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;"),
        ("003_run_control_requests", controlRequests),
    ]

    /// The key of the advisory lock every host takes while it migrates.
    static let lockKey: Int64 = 0x5354_4152_4752_4150

    /// Applies the missing migrations in one transaction under the advisory lock; with `create`
    /// `false`, a database never migrated is ``StoreError/databaseNotFound(_:)`` instead.
    /// - Throws: ``StoreError/foreignDatabase(path:tables:)`` for a database with tables but no
    ///   migration history, ``StoreError/schemaTooNew(path:unknownMigrations:)`` for one migrated
    ///   by a newer host.
    static func migrate(on connection: PostgresConnection, location: String, create: Bool, logger: Logger) async throws {
        try await PostgresRunStore.transaction(on: connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            let history = try await connection.query(
                "SELECT to_regclass('stargraph_migrations') IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
            if !history {
                let tables = try await connection.query("""
                    SELECT table_name FROM information_schema.tables
                    WHERE table_schema = current_schema() ORDER BY table_name
                    """, logger: logger).collect().map { try $0.decode(String.self) }
                guard tables.isEmpty else { throw StoreError.foreignDatabase(path: location, tables: tables) }
                guard create else { throw StoreError.databaseNotFound(location) }
                try await connection.query("""
                    CREATE TABLE stargraph_migrations (
                        identifier TEXT COLLATE "C" PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, logger: logger)
            }
            let applied = try await connection.query("SELECT identifier FROM stargraph_migrations", logger: logger)
                .collect().map { try $0.decode(String.self) }
            let known = Set(all.map(\.identifier))
            let unknown = applied.filter { !known.contains($0) }.sorted()
            guard unknown.isEmpty else { throw StoreError.schemaTooNew(path: location, unknownMigrations: unknown) }
            for migration in all where !applied.contains(migration.identifier) {
                for statement in statements(of: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO stargraph_migrations (identifier) VALUES (\(migration.identifier))", logger: logger)
                logger.info("migrated the PostgreSQL store", metadata: ["migration": "\(migration.identifier)", "store": "\(location)"])
            }
        }
    }

    /// The statements of `sql`, one per `;` at a line's end outside a `$$` function body (each is
    /// sent alone: the extended query protocol takes one statement at a time).
    static func statements(of sql: String) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            current.append(line)
            if line.components(separatedBy: "$$").count.isMultiple(of: 2) { inBody.toggle() }
            if !inBody, line.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// 003: `run_control_requests`, a cancel or pause asked of a run another host executes;
    /// dropped when the run stops running.
    private static let controlRequests = """
        CREATE TABLE run_control_requests (
            run_id TEXT COLLATE "C" PRIMARY KEY REFERENCES runs ON DELETE CASCADE,
            control TEXT COLLATE "C" NOT NULL CHECK (control IN ('cancel', 'pause')),
            requested_at TEXT COLLATE "C" NOT NULL
        );
        CREATE FUNCTION run_control_requests_on_run_stop() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM run_control_requests WHERE run_id = NEW.run_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER run_control_requests_on_run_stop AFTER UPDATE OF status ON runs
            FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status != 'running')
            EXECUTE FUNCTION run_control_requests_on_run_stop();
        """

    /// 001: every table of the SQLite store's migrations 001–012, as they stand after them.
    private static let initial = """
        CREATE TABLE graph_sources (source_hash TEXT COLLATE "C" PRIMARY KEY, source TEXT NOT NULL);
        CREATE TABLE runs (
            run_id TEXT COLLATE "C" PRIMARY KEY,
            graph_id TEXT COLLATE "C" NOT NULL,
            graph_hash TEXT COLLATE "C" NOT NULL,
            graph_source_hash TEXT COLLATE "C" NOT NULL REFERENCES graph_sources (source_hash),
            graph_origin TEXT NOT NULL,
            status TEXT COLLATE "C" NOT NULL,
            inputs TEXT NOT NULL,
            state TEXT NOT NULL,
            facts TEXT NOT NULL,
            step_count INTEGER NOT NULL,
            next_action TEXT NOT NULL,
            max_steps INTEGER NOT NULL,
            error_class TEXT,
            error_cause TEXT,
            parent_run_id TEXT COLLATE "C",
            from_step INTEGER,
            mutation TEXT,
            created_at TEXT COLLATE "C" NOT NULL,
            started_at TEXT COLLATE "C",
            finished_at TEXT COLLATE "C",
            updated_at TEXT COLLATE "C" NOT NULL,
            claimed_by TEXT COLLATE "C"
        );
        CREATE INDEX runs_on_status ON runs (status);
        CREATE INDEX runs_on_graph_id ON runs (graph_id);
        CREATE INDEX runs_on_parent_run_id ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
        CREATE INDEX runs_on_created_at ON runs (created_at, run_id);
        CREATE TABLE checkpoints (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs ON DELETE CASCADE,
            step INTEGER NOT NULL,
            branch_id TEXT COLLATE "C" NOT NULL,
            node TEXT NOT NULL,
            state TEXT NOT NULL,
            facts TEXT NOT NULL,
            next_action TEXT NOT NULL,
            output TEXT NOT NULL,
            input_hash TEXT NOT NULL,
            output_hash TEXT NOT NULL,
            graph_hash TEXT NOT NULL,
            rules_fired TEXT NOT NULL,
            effects TEXT NOT NULL,
            ts TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (run_id, step, branch_id)
        );
        CREATE TABLE events (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            step INTEGER,
            type TEXT COLLATE "C" NOT NULL,
            ts TEXT COLLATE "C" NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        CREATE TABLE runs_history (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs ON DELETE CASCADE,
            status TEXT COLLATE "C" NOT NULL,
            ts TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX runs_history_on_run_id ON runs_history (run_id);
        CREATE TABLE pending_runs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id TEXT COLLATE "C" NOT NULL UNIQUE,
            graph_id TEXT COLLATE "C" NOT NULL,
            params TEXT NOT NULL,
            idempotency_key TEXT COLLATE "C",
            request_hash TEXT,
            enqueued_at TEXT COLLATE "C" NOT NULL,
            available_at TEXT COLLATE "C" NOT NULL,
            claimed_by TEXT COLLATE "C",
            claimed_at TEXT COLLATE "C",
            attempts INTEGER NOT NULL DEFAULT 0,
            response TEXT
        );
        CREATE INDEX pending_runs_on_claimed_by ON pending_runs (claimed_by);
        CREATE TABLE idempotency_keys (
            key TEXT COLLATE "C" PRIMARY KEY,
            request_hash TEXT NOT NULL,
            run_id TEXT COLLATE "C" NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX idempotency_keys_on_run_id ON idempotency_keys (run_id);
        CREATE TABLE scheduler_processes (
            process_id TEXT COLLATE "C" PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            start_ticks TEXT,
            started_at TEXT COLLATE "C" NOT NULL,
            heartbeat_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE trigger_fires (
            trigger_id TEXT COLLATE "C" NOT NULL,
            fire_time TEXT COLLATE "C" NOT NULL,
            run_id TEXT COLLATE "C",
            PRIMARY KEY (trigger_id, fire_time)
        );
        CREATE TABLE artifacts (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            artifact_id TEXT COLLATE "C" NOT NULL,
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs ON DELETE CASCADE,
            step INTEGER NOT NULL,
            node TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            content_type TEXT NOT NULL,
            size BIGINT NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            UNIQUE (run_id, step, node, name)
        );
        CREATE INDEX artifacts_on_artifact_id ON artifacts (artifact_id);
        CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at TEXT NOT NULL, filler BYTEA NOT NULL);
        CREATE TABLE run_executions (
            run_id TEXT COLLATE "C" PRIMARY KEY,
            process_id TEXT COLLATE "C" NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            start_ticks TEXT,
            command TEXT NOT NULL,
            started_at TEXT COLLATE "C" NOT NULL,
            heartbeat_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE audit_anchors (
            chain_sha256 TEXT COLLATE "C" NOT NULL,
            seq INTEGER NOT NULL,
            line_sha256 TEXT NOT NULL,
            log_path TEXT COLLATE "C" NOT NULL,
            anchored_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (chain_sha256, seq)
        );
        CREATE INDEX audit_anchors_by_path ON audit_anchors (log_path);
        CREATE TABLE webhook_subscriptions (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs ON DELETE CASCADE,
            event_type TEXT COLLATE "C" NOT NULL,
            url TEXT NOT NULL,
            PRIMARY KEY (run_id, event_type)
        );
        CREATE TABLE webhook_deliveries (
            run_id TEXT COLLATE "C" NOT NULL,
            seq INTEGER NOT NULL,
            event_type TEXT COLLATE "C" NOT NULL,
            url TEXT NOT NULL,
            status TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT COLLATE "C" NOT NULL,
            next_attempt_at TEXT COLLATE "C",
            PRIMARY KEY (run_id, seq),
            FOREIGN KEY (run_id, seq) REFERENCES events (run_id, seq) ON DELETE CASCADE
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
        CREATE TABLE webhook_attempts (
            run_id TEXT COLLATE "C" NOT NULL,
            seq INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            at TEXT COLLATE "C" NOT NULL,
            status_code INTEGER,
            error TEXT,
            duration_ms INTEGER NOT NULL,
            PRIMARY KEY (run_id, seq, attempt),
            FOREIGN KEY (run_id, seq) REFERENCES webhook_deliveries (run_id, seq) ON DELETE CASCADE
        );

        CREATE FUNCTION runs_history_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO runs_history (run_id, status, ts) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
            RETURN NULL;
        END $$;
        CREATE TRIGGER runs_history_on_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION runs_history_on_insert();
        CREATE FUNCTION runs_on_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO runs_history (run_id, status, ts) VALUES (NEW.run_id, NEW.status, NEW.updated_at);
            IF NEW.status IN ('done', 'failed', 'cancelled', 'paused', 'awaiting_input') THEN
                DELETE FROM pending_runs WHERE run_id = NEW.run_id;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER runs_on_status_change AFTER UPDATE OF status ON runs
            FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION runs_on_status_change();
        CREATE FUNCTION webhook_deliveries_on_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO webhook_deliveries (run_id, seq, event_type, url, created_at, next_attempt_at)
            SELECT NEW.run_id, NEW.seq, NEW.type, url, NEW.ts, NEW.ts FROM webhook_subscriptions
            WHERE run_id = NEW.run_id AND event_type = NEW.type;
            RETURN NULL;
        END $$;
        CREATE TRIGGER webhook_deliveries_on_event AFTER INSERT ON events
            FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_on_event();
        """
}
