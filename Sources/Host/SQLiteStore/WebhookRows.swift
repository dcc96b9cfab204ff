import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// The webhook outbox (migration 012): subscriptions are written with their run, deliveries by
/// the trigger on `events`, attempts by the deliverer.
extension SQLiteRunStore: WebhookOutbox {
    /// Records `webhook` for the run `runId`, inside the transaction that inserts the run.
    static func subscribe(_ db: Database, runId: String, _ webhook: WebhookSubscription) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO webhook_subscriptions (run_id, event_type, url) VALUES (?, ?, ?)")
        for type in webhook.events { try insert.execute(arguments: [runId, type, webhook.url]) }
    }

    package func leaseDueWebhookDeliveries(now: Date, leaseUntil: Date, limit: Int) async throws -> [LeasedWebhookDelivery] {
        let now = ColumnCoding.timestamp(now)
        let lease = ColumnCoding.timestamp(leaseUntil)
        // A read first: an outbox with nothing due costs no write transaction.
        let anyDue = try read("reading due webhook deliveries") { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?)
                """), arguments: [now]) ?? false
        }
        guard anyDue else { return [] }
        return try await write("leasing webhook deliveries") { db in
            let leased = try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE webhook_deliveries SET next_attempt_at = ?
                WHERE (run_id, seq) IN (
                    SELECT run_id, seq FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, run_id, seq LIMIT ?)
                RETURNING run_id, seq, url, attempts
                """), arguments: [lease, now, limit])
            let event = try db.cachedStatement(sql: "SELECT * FROM events WHERE run_id = ? AND seq = ?")
            let run = try db.cachedStatement(sql: RunRecord.selectSQL + " WHERE runs.run_id = ?")
            return try leased.compactMap { row -> LeasedWebhookDelivery? in
                let runId: String = row["run_id"]
                let seq: Int = row["seq"]
                guard let eventRow = try Row.fetchOne(event, arguments: [runId, seq]),
                      let runRow = try Row.fetchOne(run, arguments: [runId]) else { return nil }
                return LeasedWebhookDelivery(
                    url: row["url"], event: try EventRecord(row: eventRow), run: try RunRecord(row: runRow),
                    attemptNumber: (row["attempts"] as Int) + 1)
            }
        }
    }

    package func recordWebhookAttempt(runId: String, seq: Int, _ attempt: WebhookAttempt, outcome: WebhookAttemptOutcome) async throws {
        let status: WebhookDeliveryStatus
        let next: String?
        switch outcome {
        case .delivered: (status, next) = (.delivered, nil)
        case .failed: (status, next) = (.failed, nil)
        case .retry(let at): (status, next) = (.pending, ColumnCoding.timestamp(at))
        }
        let at = ColumnCoding.timestamp(attempt.at)
        try await write("recording a webhook attempt of run \(runId)") { db in
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO webhook_attempts (run_id, seq, attempt, at, status_code, error, duration_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    runId, seq, attempt.number, at, attempt.statusCode, attempt.error, attempt.durationMilliseconds,
                ])
            try db.cachedStatement(sql: """
                UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, attempts = MAX(attempts, ?)
                WHERE run_id = ? AND seq = ?
                """).execute(arguments: [status.rawValue, next, attempt.number, runId, seq])
        }
    }

    package func webhookDeliveries(runId: String) throws -> [WebhookDelivery] {
        try read("reading webhook deliveries of run \(runId)") { db in
            var attempts: [Int: [WebhookAttempt]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM webhook_attempts WHERE run_id = ? ORDER BY seq, attempt", arguments: [runId]) {
                let seq: Int = row["seq"]
                attempts[seq, default: []].append(WebhookAttempt(
                    number: row["attempt"],
                    at: try ColumnCoding.timestamp(row["at"] as String, runId: runId, column: "webhook_attempts.at"),
                    statusCode: row["status_code"], error: row["error"], durationMilliseconds: row["duration_ms"]))
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM webhook_deliveries WHERE run_id = ? ORDER BY seq", arguments: [runId]).map { row in
                let seq: Int = row["seq"]
                let status: String = row["status"]
                guard let decoded = WebhookDeliveryStatus(rawValue: status) else {
                    throw StoreError.corruptColumn(runId: runId, column: "webhook_deliveries.status", detail: "unknown status \(status)")
                }
                return WebhookDelivery(
                    runId: runId, seq: seq, eventType: row["event_type"], url: row["url"], status: decoded,
                    createdAt: try ColumnCoding.timestamp(row["created_at"] as String, runId: runId, column: "webhook_deliveries.created_at"),
                    nextAttemptAt: decoded == .pending
                        ? try ColumnCoding.timestamp(row["next_attempt_at"] as String?, runId: runId, column: "webhook_deliveries.next_attempt_at")
                        : nil,
                    attempts: attempts[seq] ?? [])
            }
        }
    }
}
