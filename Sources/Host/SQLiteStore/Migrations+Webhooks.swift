import GRDB
import StargraphStore

extension StoreMigrations {
    /// 012: the webhook outbox.
    ///
    /// - `webhook_subscriptions`: one row per (run, subscribed event type), with the run's URL.
    /// - `webhook_deliveries`: one row per event owed to a webhook, written by the trigger on
    ///   `events` in the transaction that appends the event. A pending row is due at
    ///   `next_attempt_at`; a deliverer leases it by moving that time past the attempt.
    /// - `webhook_attempts`: every attempt, with the receiver's status or the failure.
    package static func createWebhookOutbox(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE webhook_subscriptions (
                run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
                event_type TEXT NOT NULL,
                url TEXT NOT NULL,
                PRIMARY KEY (run_id, event_type)
            ) WITHOUT ROWID;
            CREATE TABLE webhook_deliveries (
                run_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                url TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                next_attempt_at TEXT,
                PRIMARY KEY (run_id, seq),
                FOREIGN KEY (run_id, seq) REFERENCES events(run_id, seq) ON DELETE CASCADE
            ) WITHOUT ROWID;
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
            CREATE TABLE webhook_attempts (
                run_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                at TEXT NOT NULL,
                status_code INTEGER,
                error TEXT,
                duration_ms INTEGER NOT NULL,
                PRIMARY KEY (run_id, seq, attempt),
                FOREIGN KEY (run_id, seq) REFERENCES webhook_deliveries(run_id, seq) ON DELETE CASCADE
            ) WITHOUT ROWID;
            CREATE TRIGGER webhook_deliveries_on_event AFTER INSERT ON events BEGIN
                INSERT INTO webhook_deliveries (run_id, seq, event_type, url, created_at, next_attempt_at)
                SELECT NEW.run_id, NEW.seq, NEW.type, url, NEW.ts, NEW.ts FROM webhook_subscriptions
                WHERE run_id = NEW.run_id AND event_type = NEW.type;
            END;
            """)
    }
}
