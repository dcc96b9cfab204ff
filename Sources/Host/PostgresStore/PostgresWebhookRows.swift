import Foundation
import PostgresNIO
import StargraphCore
import StargraphStore

/// The webhook outbox: deliveries are written by the trigger on `events`, leased with
/// `FOR UPDATE SKIP LOCKED` so hosts sharing the database never lease one delivery twice.
extension PostgresRunStore {
    package func leaseDueWebhookDeliveries(now: Date, leaseUntil: Date, limit: Int) async throws -> [LeasedWebhookDelivery] {
        let now = Timestamps.format(now)
        let lease = Timestamps.format(leaseUntil)
        return try await write("leasing webhook deliveries") { connection in
            let leased = try await connection.query("""
                UPDATE webhook_deliveries SET next_attempt_at = \(lease)
                WHERE (run_id, seq) IN (
                    SELECT run_id, seq FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= \(now)
                    ORDER BY next_attempt_at, run_id, seq LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING run_id, seq, url, attempts
                """, logger: self.logger).collect().map { try $0.decode((String, Int, String, Int).self) }
            var deliveries: [LeasedWebhookDelivery] = []
            for (runId, seq, url, attempts) in leased.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                let event = try await connection.query(
                    "SELECT * FROM events WHERE run_id = \(runId) AND seq = \(seq)", logger: self.logger).collect().first
                let run = try await connection.query(
                    PostgresQuery(unsafeSQL: RunRecord.postgresSelect + " WHERE runs.run_id = $1", binds: Self.binds(runId)),
                    logger: self.logger).collect().first
                guard let event, let run else { continue }
                deliveries.append(LeasedWebhookDelivery(
                    url: url, event: try EventRecord(postgres: event), run: try RunRecord(postgres: run), attemptNumber: attempts + 1))
            }
            return deliveries
        }
    }

    package func recordWebhookAttempt(runId: String, seq: Int, _ attempt: WebhookAttempt, outcome: WebhookAttemptOutcome) async throws {
        let (status, next): (WebhookDeliveryStatus, String?) = switch outcome {
        case .delivered: (.delivered, nil)
        case .failed: (.failed, nil)
        case .retry(let at): (.pending, Timestamps.format(at))
        }
        try await write("recording a webhook attempt of run \(runId)") { connection in
            try await connection.query("""
                INSERT INTO webhook_attempts (run_id, seq, attempt, at, status_code, error, duration_ms)
                VALUES (\(runId), \(seq), \(attempt.number), \(Timestamps.format(attempt.at)), \(attempt.statusCode), \(attempt.error),
                    \(attempt.durationMilliseconds))
                ON CONFLICT (run_id, seq, attempt) DO UPDATE SET at = excluded.at, status_code = excluded.status_code,
                    error = excluded.error, duration_ms = excluded.duration_ms
                """, logger: self.logger)
            try await connection.query("""
                UPDATE webhook_deliveries SET status = \(status.rawValue), next_attempt_at = \(next),
                    attempts = GREATEST(attempts, \(attempt.number))
                WHERE run_id = \(runId) AND seq = \(seq)
                """, logger: self.logger)
        }
    }

    package func webhookDeliveries(runId: String) async throws -> [WebhookDelivery] {
        try await read("reading webhook deliveries of run \(runId)") { connection in
            var attempts: [Int: [WebhookAttempt]] = [:]
            for row in try await connection.query(
                "SELECT * FROM webhook_attempts WHERE run_id = \(runId) ORDER BY seq, attempt", logger: self.logger
            ).collect() {
                let columns = PostgresColumns(row, table: "webhook_attempts", runId: runId)
                let seq: Int = try columns.value("seq")
                attempts[seq, default: []].append(WebhookAttempt(
                    number: try columns.value("attempt"), at: try columns.date("at"), statusCode: try columns.value("status_code"),
                    error: try columns.value("error"), durationMilliseconds: try columns.value("duration_ms")))
            }
            return try await connection.query(
                "SELECT * FROM webhook_deliveries WHERE run_id = \(runId) ORDER BY seq", logger: self.logger
            ).collect().map { row throws(StoreError) in
                let columns = PostgresColumns(row, table: "webhook_deliveries", runId: runId)
                let seq: Int = try columns.value("seq")
                let text: String = try columns.value("status")
                guard let status = WebhookDeliveryStatus(rawValue: text) else {
                    throw .corruptColumn(runId: runId, column: "webhook_deliveries.status", detail: "unknown status \(text)")
                }
                return WebhookDelivery(
                    runId: runId, seq: seq, eventType: try columns.value("event_type"), url: try columns.value("url"), status: status,
                    createdAt: try columns.date("created_at"),
                    nextAttemptAt: status == .pending ? try columns.optionalDate("next_attempt_at") : nil,
                    attempts: attempts[seq] ?? [])
            }
        }
    }
}
