import Foundation
import StargraphCore
import StargraphStore
import StargraphWebhooks

extension ManifestDecoder {
    package static let webhookKeys = [
        "secret", "secret_env", "allow", "default", "timeout_ms", "initial_backoff_ms", "max_backoff_ms", "retry_for_seconds",
    ]

    /// `webhooks: {secret | secret_env, allow, default?, timeout_ms?, initial_backoff_ms?,
    /// max_backoff_ms?, retry_for_seconds?}`, checked: a secret (written in the manifest, or
    /// named by an environment variable that is set), an allow-list of at least one host, and a
    /// default webhook whose URL that list admits.
    mutating func webhooks(_ node: YAMLNode) -> WebhookPolicy? {
        let fields = fields(of: node, what: "webhooks", allowed: Self.webhookKeys, required: ["allow"])
        let signer = webhookSigner(fields, at: node)
        var entries: [WebhookAllowList.Entry] = []
        for item in fields["allow"].map({ items($0, what: "webhooks.allow") }) ?? [] {
            guard let text = text(item, what: "a webhooks.allow entry") else { continue }
            guard let entry = WebhookAllowList.Entry(text) else {
                diagnostics.error(at: item, "webhooks.allow entry '\(text)' is not a host; write host, host:port, *.domain or [ipv6]:port")
                continue
            }
            entries.append(entry)
        }
        if let allow = fields["allow"], entries.isEmpty {
            diagnostics.error(at: allow, "webhooks.allow lists no host; name the hosts webhooks may be sent to (nothing else is ever contacted)")
        }
        let allowList = WebhookAllowList(entries)
        let retry = WebhookRetry(
            initialDelay: .milliseconds(whole(fields["initial_backoff_ms"], what: "webhooks.initial_backoff_ms", in: 1...3_600_000) ?? 1000),
            maximumDelay: .milliseconds(whole(fields["max_backoff_ms"], what: "webhooks.max_backoff_ms", in: 1...86_400_000) ?? 600_000),
            retryPeriod: .seconds(whole(fields["retry_for_seconds"], what: "webhooks.retry_for_seconds", in: 1...2_592_000) ?? 86_400))
        let timeout = whole(fields["timeout_ms"], what: "webhooks.timeout_ms", in: 1...300_000).map { Duration.milliseconds($0) }
        let defaultSubscription = fields["default"].flatMap { defaultWebhook($0, allowList: allowList) }
        guard let signer else { return nil }
        return WebhookPolicy(
            signer: signer, allowList: allowList, defaultSubscription: defaultSubscription, retry: retry,
            attemptTimeout: timeout ?? WebhookPolicy.defaultAttemptTimeout)
    }

    private mutating func webhookSigner(_ fields: [String: YAMLNode], at node: YAMLNode) -> WebhookSigner? {
        switch (fields["secret"], fields["secret_env"]) {
        case (let written?, nil):
            guard let text = text(written, what: "webhooks.secret") else { return nil }
            guard let signer = WebhookSigner(secret: text) else {
                diagnostics.error(at: written, "webhooks.secret must be \(WebhookSigner.secretRule)")
                return nil
            }
            return signer
        case (nil, let named?):
            guard let name = text(named, what: "webhooks.secret_env") else { return nil }
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                diagnostics.error(at: named, "webhooks.secret_env names \(name), which is not set; export it with the secret, \(WebhookSigner.secretRule)")
                return nil
            }
            guard let signer = WebhookSigner(secret: value) else {
                diagnostics.error(at: named, "the value of \(name) must be \(WebhookSigner.secretRule)")
                return nil
            }
            return signer
        case (_?, _?):
            diagnostics.error(at: node, "webhooks has both secret and secret_env; keep one")
            return nil
        case (nil, nil):
            diagnostics.error(at: node, "webhooks needs a signing secret: secret_env (the environment variable that holds it) or secret")
            return nil
        }
    }

    private mutating func defaultWebhook(_ node: YAMLNode, allowList: WebhookAllowList) -> WebhookSubscription? {
        let fields = fields(of: node, what: "webhooks.default", allowed: ["url", "events"], required: ["url"])
        guard let urlNode = fields["url"], let url = text(urlNode, what: "webhooks.default.url") else { return nil }
        var events: [String]?
        if let eventsNode = fields["events"] {
            events = items(eventsNode, what: "webhooks.default.events").compactMap { text($0, what: "an event type") }
        }
        do {
            return try allowList.subscription(url: url, events: events)
        } catch {
            let mark: YAMLNode = if case .urlNotAllowed = error { urlNode } else { fields["events"] ?? node }
            diagnostics.error(at: mark, "webhooks.default: \(error)")
            return nil
        }
    }

    /// A whole number in `range`, or `nil` (with an error when the node is there but is not one).
    private mutating func whole(_ node: YAMLNode?, what: String, in range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        guard let value = node.toJSON().intValue, range.contains(value) else {
            diagnostics.error(at: node, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(node.scalarText ?? node.kindName)'")
            return nil
        }
        return value
    }
}
