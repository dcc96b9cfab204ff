import Foundation
import StargraphCore

/// A run's webhook: the URL its events are posted to and the event types that are posted.
package struct WebhookSubscription: Sendable, Hashable {
    /// An `http` or `https` URL the operator's allow-list admits.
    package var url: String
    /// Event types (`run_done`, `interrupt`, `step`…), sorted and without repeats.
    package var events: [String]

    package init(url: String, events: [String]) {
        self.url = url
        self.events = Array(Set(events)).sorted()
    }
}

/// Where one webhook delivery stands.
package enum WebhookDeliveryStatus: String, Sendable, Hashable {
    /// Not yet accepted: due at its next attempt time (or leased by a deliverer until then).
    case pending
    /// A receiver answered 2xx.
    case delivered
    /// Given up: retried for the whole retry period, or its host is no longer allowed.
    case failed
}

/// One attempt to deliver an event: its HTTP status, or why no status came back.
package struct WebhookAttempt: Sendable, Hashable {
    /// 1 for the first attempt.
    package var number: Int
    package var at: Date
    /// The receiver's HTTP status, `nil` when none came (refused connection, timeout).
    package var statusCode: Int?
    /// Why the attempt failed, `nil` when it was accepted.
    package var error: String?
    package var durationMilliseconds: Int

    package init(number: Int, at: Date, statusCode: Int?, error: String?, durationMilliseconds: Int) {
        self.number = number
        self.at = at
        self.statusCode = statusCode
        self.error = error
        self.durationMilliseconds = durationMilliseconds
    }
}

/// The delivery of one event of a run to its webhook, with every attempt made so far.
package struct WebhookDelivery: Sendable, Hashable {
    package var runId: String
    /// The event's seq in the run's event log: with the run id, the delivery's identity.
    package var seq: Int
    package var eventType: String
    package var url: String
    package var status: WebhookDeliveryStatus
    /// When the event was stored.
    package var createdAt: Date
    /// When the next attempt is due (or the current lease ends); `nil` once delivered or failed.
    package var nextAttemptAt: Date?
    package var attempts: [WebhookAttempt]

    package init(
        runId: String, seq: Int, eventType: String, url: String, status: WebhookDeliveryStatus, createdAt: Date,
        nextAttemptAt: Date?, attempts: [WebhookAttempt]
    ) {
        self.runId = runId
        self.seq = seq
        self.eventType = eventType
        self.url = url
        self.status = status
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
    }
}

/// A delivery a deliverer leased, with the event it posts and the run as stored when leased.
package struct LeasedWebhookDelivery: Sendable {
    package var url: String
    package var event: EventRecord
    package var run: RunRecord
    /// The number the next attempt gets.
    package var attemptNumber: Int

    package init(url: String, event: EventRecord, run: RunRecord, attemptNumber: Int) {
        self.url = url
        self.event = event
        self.run = run
        self.attemptNumber = attemptNumber
    }
}

/// What an attempt leaves a delivery as.
package enum WebhookAttemptOutcome: Sendable, Hashable {
    case delivered
    /// Try again at this time.
    case retry(at: Date)
    case failed
}

/// The webhook outbox beside the runs. A run stored with a ``WebhookSubscription`` (see
/// ``RunStore/insertRun(_:events:admission:webhook:anchor:)``) gets one pending delivery per
/// event of a subscribed type, written in the transaction that appends the event, so an event
/// that is durable is owed to its webhook, whatever happens to the process afterwards.
package protocol WebhookOutbox: Sendable {
    /// Leases, oldest due first, at most `limit` pending deliveries due at `now`: each becomes due
    /// again only at `leaseUntil`, so no other deliverer sends it meanwhile, and one whose
    /// deliverer died is sent again once its lease ends.
    func leaseDueWebhookDeliveries(now: Date, leaseUntil: Date, limit: Int) async throws -> [LeasedWebhookDelivery]

    /// Records `attempt` of the delivery of event `seq` of `runId` and leaves it as `outcome` says.
    func recordWebhookAttempt(runId: String, seq: Int, _ attempt: WebhookAttempt, outcome: WebhookAttemptOutcome) async throws

    /// The deliveries of `runId` with their attempts, by event seq (empty for an unknown run).
    func webhookDeliveries(runId: String) async throws -> [WebhookDelivery]
}
