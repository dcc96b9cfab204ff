import Hummingbird
import StargraphCore
import StargraphStore
import StargraphHost
import StargraphWebhooks

/// `GET /v1/runs/{id}/webhooks`: a ``ListPage`` of the run's webhook deliveries by event seq,
/// `{webhook_id, run_id, seq, event_type, url, status, created_at, next_attempt_at, attempts}`,
/// each attempt `{attempt, at, status_code, error, duration_ms}`; 404 for an unknown run.
struct WebhookRoutes {
    let store: any HostStore

    func register(on router: Router<RunRoutes.Context>) {
        router.on(.listRunWebhooks) { _, context in
            let runId = try RunRoutes.runId(context)
            guard try await store.run(runId) != nil else {
                throw Problem(.runNotFound, detail: "no run '\(runId)' in this server's database; GET /v1/runs lists runs")
            }
            let deliveries = try await store.webhookDeliveries(runId: runId)
            return JSONMessages.response(ListPage.json(items: deliveries.map(Self.json)))
        }
    }

    static func json(_ delivery: WebhookDelivery) -> JSONValue {
        [
            "webhook_id": .string(WebhookPayload.messageId(runId: delivery.runId, seq: delivery.seq)),
            "run_id": .string(delivery.runId), "seq": .number(Double(delivery.seq)), "event_type": .string(delivery.eventType),
            "url": .string(delivery.url), "status": .string(delivery.status.rawValue),
            "created_at": .string(Timestamps.format(delivery.createdAt)),
            "next_attempt_at": delivery.nextAttemptAt.map { .string(Timestamps.format($0)) } ?? .null,
            "attempts": .array(delivery.attempts.map { attempt in
                [
                    "attempt": .number(Double(attempt.number)), "at": .string(Timestamps.format(attempt.at)),
                    "status_code": attempt.statusCode.map { .number(Double($0)) } ?? .null,
                    "error": attempt.error.map(JSONValue.string) ?? .null,
                    "duration_ms": .number(Double(attempt.durationMilliseconds)),
                ]
            }),
        ]
    }
}
