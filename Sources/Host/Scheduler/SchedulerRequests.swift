import StargraphCore
import StargraphEngine

/// The webhook a run request asks for: the URL, and the event types (`nil`: the run's end and
/// its interrupts). The scheduler checks it against the server's ``WebhookPolicy``.
public struct WebhookRequest: Sendable, Hashable {
    public var url: String
    public var events: [String]?

    public init(url: String, events: [String]? = nil) {
        self.url = url
        self.events = events
    }
}

/// A request to start a run of a registered graph (`POST /v1/runs`).
public struct RunRequest: Sendable {
    /// The id of a graph in the host's ``GraphRegistry``.
    public var graphId: String
    /// The run's inputs: a JSON object whose keys are fields of the graph's `state_schema`.
    public var params: JSONValue
    /// With a key, the same key and the same body return the same run; a different body is refused.
    public var idempotencyKey: String?
    /// Who asks: the API key's id (or `anonymous`) over HTTP, `trigger:<id>` for a cron fire. It
    /// is recorded in the run's `run_created` event (and so in the audit log); never the key.
    public var principal: String?
    /// With a hash, only the graph that hashes so runs (409 otherwise).
    public var graphHash: String?
    /// Where the run's events are posted; `nil` takes the server's default webhook, if any.
    public var webhook: WebhookRequest?

    public init(
        graphId: String, params: JSONValue, idempotencyKey: String? = nil, principal: String? = nil, graphHash: String? = nil,
        webhook: WebhookRequest? = nil
    ) {
        self.graphId = graphId
        self.params = params
        self.idempotencyKey = idempotencyKey
        self.principal = principal
        self.graphHash = graphHash
        self.webhook = webhook
    }

    /// The hash idempotency compares: SHA-256 of the canonical JSON `{graph_id, params}`.
    package var requestHash: String {
        ContentHash.of(["graph_id": .string(graphId), "params": params])
    }
}

/// An accepted run request: the run as stored when it was accepted.
public struct Submission: Sendable {
    public var run: RunRecord
    /// `true` when this request created the run (HTTP 202); `false` when an earlier request with
    /// the same idempotency key and body did (HTTP 200).
    public var created: Bool
    /// Where the graph came from: its registry origin, or `database` for a graph found through
    /// the database (``GraphResolver``).
    public var origin: String

    public init(run: RunRecord, created: Bool, origin: String) {
        self.run = run
        self.created = created
        self.origin = origin
    }
}
