import StargraphCore
import StargraphWebhooks
/// Why the scheduler refused a request. Each case maps to one HTTP status (noted per case), and
/// each message says what to change.
public enum SchedulerError: Error, Sendable, CustomStringConvertible {
    /// No graph with this id is registered (404).
    case unknownGraph(String)
    /// The graph ran on this database before, but this host does not run stored graphs (404).
    case storedGraphNotAllowed(String)
    /// The request pinned a `graph_hash` the graph named does not have (409).
    case graphHashMismatch(graphId: String, requested: String, actual: String)
    /// The params do not fit the graph's `state_schema` (422).
    case invalidParams(String)
    /// The idempotency key was accepted before with a different body (409).
    case idempotencyConflict(key: String, runId: String)
    /// No run with this id is stored (404).
    case runNotFound(String)
    /// The action is not allowed in the run's current status (409).
    case invalidTransition(runId: String, status: RunStatus, action: String)
    /// The response does not fit the graph's `state_schema` (422).
    case invalidResponse(String)
    /// The request's webhook is not allowed or not well formed (422).
    case webhookRefused(WebhookRefusal)
    /// The scheduler is shutting down; nothing was accepted (503).
    case shuttingDown
    /// The store or the audit log could not be written (a full disk, an I/O error); `cause` says
    /// which and why. Nothing was accepted (503).
    case storageUnavailable(cause: String)

    public var description: String {
        switch self {
        case .unknownGraph(let id):
            "no graph '\(id)' is registered; GET /v1/graphs lists the graphs; register it with the manifest or a graph file given to the server"
        case .storedGraphNotAllowed(let id):
            "no graph '\(id)' is registered; it ran on this database before, but the cleared profile runs graphs found "
                + "through the database only when the manifest sets `database_graphs: true`"
        case .graphHashMismatch(let id, let requested, let actual):
            "graph '\(id)' is \(actual) here, not the \(requested) the request pinned; drop graph_hash or pin the graph this server has"
        case .invalidParams(let why):
            "params do not fit the graph's state_schema: \(why)"
        case .idempotencyConflict(let key, let runId):
            "idempotency key '\(key)' was already used for run \(runId) with a different body; "
                + "send the same body to get that run back, or use a new key"
        case .runNotFound(let id):
            "no run '\(id)' in this database; check the id (GET /v1/runs lists runs)"
        case .invalidTransition(let runId, let status, let action):
            "cannot \(action) run \(runId): it is \(status.rawValue)\(Self.hint(status, action))"
        case .invalidResponse(let why):
            why
        case .webhookRefused(let refusal):
            refusal.description
        case .shuttingDown:
            "the scheduler is shutting down; nothing was accepted — retry against a running server"
        case .storageUnavailable(let cause):
            "the request could not be recorded (\(cause)); nothing was accepted — retry once GET /health reports ok"
        }
    }

    private static func hint(_ status: RunStatus, _ action: String) -> String {
        switch (status, action) {
        case (.awaitingInput, "resume"): "; answer it with respond"
        case (.paused, "respond"): "; resume it first, respond once it is awaiting_input"
        case (.awaitingInput, "respond"): "; a response for it is already queued"
        case (.running, "cancel"), (.running, "pause"): " in another process; stop it there"
        case (let status, _) where status.isTerminal: ", which is final"
        default: ""
        }
    }
}
