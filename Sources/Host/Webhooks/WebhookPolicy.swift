import StargraphEngine
import StargraphStore

/// The operator's webhook settings (the manifest's `webhooks:`), as runs are checked against
/// them: the allow-list, the default webhook of runs that ask for none, and how deliveries are
/// signed, timed out and retried.
package struct WebhookPolicy: Sendable {
    package var signer: WebhookSigner
    package var allowList: WebhookAllowList
    /// The webhook of every run whose request names none.
    package var defaultSubscription: WebhookSubscription?
    package var retry: WebhookRetry
    /// How long one attempt may take, connection included.
    package var attemptTimeout: Duration

    /// The default of ``attemptTimeout``.
    package static let defaultAttemptTimeout: Duration = .seconds(10)

    package init(
        signer: WebhookSigner, allowList: WebhookAllowList, defaultSubscription: WebhookSubscription? = nil,
        retry: WebhookRetry = .standard, attemptTimeout: Duration = defaultAttemptTimeout
    ) {
        self.signer = signer
        self.allowList = allowList
        self.defaultSubscription = defaultSubscription
        self.retry = retry
        self.attemptTimeout = attemptTimeout
    }
}

/// Why a run's webhook was refused.
public enum WebhookRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The manifest has no `webhooks:` section, so no URL is allowed.
    case notEnabled
    case urlNotAllowed(String)
    case unknownEvent(String)
    case noEvents

    public var description: String {
        switch self {
        case .notEnabled:
            "webhooks are off on this server: its manifest has no `webhooks:` section with an allow list and a secret"
        case .urlNotAllowed(let why):
            "webhook.url cannot be used: \(why)"
        case .unknownEvent(let name):
            "webhook.events names '\(name)', which is not an event type; use \(RunEvent.lifecycleTypes.joined(separator: ", ")) or custom.<type>"
        case .noEvents:
            "webhook.events is empty; leave it out for \(WebhookAllowList.defaultEvents.joined(separator: ", ")), or list the event types to send"
        }
    }
}

extension WebhookAllowList {
    /// The events a webhook gets when it names none: the run's end and its interrupts.
    package static let defaultEvents = ["interrupt", "run_cancelled", "run_done", "run_failed"]

    /// The subscription to `url` for `events` (``defaultEvents`` when `nil`), checked.
    /// - Throws: ``WebhookRefusal`` naming the URL's or the event's problem.
    package func subscription(url: String, events: [String]?) throws(WebhookRefusal) -> WebhookSubscription {
        try Self.check(events: events ?? Self.defaultEvents)
        if let refusal = refusal(of: url) { throw .urlNotAllowed(refusal) }
        return WebhookSubscription(url: url, events: events ?? Self.defaultEvents)
    }

    /// Checks that `events` is a non-empty list of event types a run can have.
    private static func check(events: [String]) throws(WebhookRefusal) {
        guard !events.isEmpty else { throw .noEvents }
        for name in events where !RunEvent.lifecycleTypes.contains(name) {
            let custom = name.hasPrefix(RunEvent.customTypePrefix) && name.count > RunEvent.customTypePrefix.count
            if !custom { throw .unknownEvent(name) }
        }
    }
}
