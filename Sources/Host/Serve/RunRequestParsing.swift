import Hummingbird
import HummingbirdCore
import StargraphCore
import StargraphScheduler

/// The body of `POST /v1/runs`, checked: `{graph_id, params?, idempotency_key?, graph_hash?,
/// webhook?}`; the idempotency key may also come in the `Idempotency-Key` header (both must then
/// agree). The webhook's shape is checked here, its URL and events by the scheduler.
struct RunSubmission: Sendable {
    static let fields = ["graph_id", "params", "idempotency_key", "graph_hash", "webhook"]
    static let maximumKeyLength = 255

    var request: RunRequest

    /// Checks `body`; throws a 422 ``Problem`` naming the field that does not fit.
    init(body: JSONValue, idempotencyHeader: String?) throws(Problem) {
        guard let members = body.objectValue else {
            throw Self.invalid("the body must be a JSON object {graph_id, params, idempotency_key}, not \(body.typeName)")
        }
        if let unknown = members.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw Self.invalid("unknown field '\(unknown)'; the body takes \(Self.fields.joined(separator: ", "))")
        }
        guard let graphId = members["graph_id"]?.stringValue, !graphId.isEmpty else {
            throw Self.invalid("graph_id is required and must be a non-empty string (GET /v1/graphs lists them)")
        }
        let params = members["params"] ?? .object([:])
        guard params.objectValue != nil else {
            throw Self.invalid("params must be a JSON object of state fields, not \(params.typeName)")
        }
        var key: String?
        switch members["idempotency_key"] {
        case nil, .null?: key = nil
        case .string(let text)?: key = text
        case let other?: throw Self.invalid("idempotency_key must be a string, not \(other.typeName)")
        }
        if let header = idempotencyHeader {
            if let key, key != header {
                throw Self.invalid("the Idempotency-Key header ('\(header)') and idempotency_key ('\(key)') differ; send one, or the same in both")
            }
            key = header
        }
        if let key, key.isEmpty || key.utf8.count > Self.maximumKeyLength {
            throw Self.invalid("the idempotency key must be 1 to \(Self.maximumKeyLength) bytes long")
        }
        var graphHash: String?
        switch members["graph_hash"] {
        case nil, .null?: graphHash = nil
        case .string(let text)? where text.hasPrefix("sha256:"): graphHash = text
        case let other?: throw Self.invalid("graph_hash must be a \"sha256:…\" string as GET /v1/graphs shows it, not \(other)")
        }
        request = RunRequest(
            graphId: graphId, params: params, idempotencyKey: key, graphHash: graphHash, webhook: try Self.webhook(members["webhook"]))
    }

    /// `webhook: {url, events?}`, or `nil` when absent or `null`.
    private static func webhook(_ value: JSONValue?) throws(Problem) -> WebhookRequest? {
        guard let value, value != .null else { return nil }
        guard let members = value.objectValue else {
            throw invalid("webhook must be an object {url, events}, not \(value.typeName)")
        }
        if let unknown = members.keys.sorted().first(where: { $0 != "url" && $0 != "events" }) {
            throw invalid("unknown field 'webhook.\(unknown)'; a webhook takes url and events")
        }
        guard let url = members["url"]?.stringValue, !url.isEmpty else {
            throw invalid("webhook.url is required and must be a non-empty string (an http or https URL the server allows)")
        }
        switch members["events"] {
        case nil, .null?:
            return WebhookRequest(url: url)
        case .array(let items)?:
            let names = items.compactMap(\.stringValue)
            guard names.count == items.count else { throw invalid("webhook.events must be a list of event type strings") }
            return WebhookRequest(url: url, events: names)
        case let other?:
            throw invalid("webhook.events must be a list of event type strings, not \(other.typeName)")
        }
    }

    private static func invalid(_ detail: String) -> Problem {
        Problem(.invalidRequestBody, detail: detail)
    }
}
