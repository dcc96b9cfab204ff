import Hummingbird
import StargraphBroker

/// The kind of a ``Problem``: the stable `type` URI clients branch on, with the status and the
/// fixed `title` every problem of that kind carries (RFC 9457 §3.1).
///
/// The URIs are tag URIs (RFC 4151), `tag:stargraph.dev,2026:problem/<slug>`: identifiers, not
/// links. `docs/api.md` lists every kind; a kind, once published, keeps its URI.
public struct ProblemType: Sendable, Hashable {
    /// The last segment of the URI, e.g. `run-not-found`.
    public let slug: String
    /// The status every problem of this kind answers with.
    public let status: HTTPResponse.Status
    /// A short, fixed summary of the kind (the same for every occurrence).
    public let title: String

    /// The `type` member of the problem document.
    public var uri: String { Self.prefix + slug }

    /// What every Stargraph problem type URI starts with.
    public static let prefix = "tag:stargraph.dev,2026:problem/"

    init(_ slug: String, _ status: HTTPResponse.Status, _ title: String) {
        self.slug = slug
        self.status = status
        self.title = title
    }
}

extension ProblemType {
    // 400
    static let invalidJSON = ProblemType("invalid-json", .badRequest, "Request body is not JSON")
    static let invalidPathParameter = ProblemType("invalid-path-parameter", .badRequest, "Invalid path parameter")
    static let invalidQueryParameter = ProblemType("invalid-query-parameter", .badRequest, "Invalid query parameter")
    static let unknownQueryParameter = ProblemType("unknown-query-parameter", .badRequest, "Unknown query parameter")
    static let badRequest = ProblemType("bad-request", .badRequest, "Bad request")
    static let malformedRequest = ProblemType("malformed-request", .badRequest, "Request is not valid HTTP")
    static let upgradeRefused = ProblemType("upgrade-refused", .badRequest, "WebSocket upgrade refused")
    // 401, 403
    static let unauthorized = ProblemType("unauthorized", .unauthorized, "API key required")
    static let forbidden = ProblemType("forbidden", .forbidden, "Capability missing")
    // 404, 405
    static let routeNotFound = ProblemType("route-not-found", .notFound, "No such route")
    static let runNotFound = ProblemType("run-not-found", .notFound, "No such run")
    static let graphNotFound = ProblemType("graph-not-found", .notFound, "No such graph")
    static let artifactNotFound = ProblemType("artifact-not-found", .notFound, "No such artifact")
    static let notFound = ProblemType("not-found", .notFound, "Not found")
    static let methodNotAllowed = ProblemType("method-not-allowed", .methodNotAllowed, "Method not allowed")
    // 408
    static let requestTimeout = ProblemType("request-timeout", .requestTimeout, "Request head timed out")
    // 409
    static let idempotencyConflict = ProblemType("idempotency-conflict", .conflict, "Idempotency key reused with another body")
    static let invalidTransition = ProblemType("invalid-transition", .conflict, "Run status forbids this transition")
    static let graphHashMismatch = ProblemType("graph-hash-mismatch", .conflict, "Graph is not the one pinned")
    static let conflict = ProblemType("conflict", .conflict, "Conflict")
    // 413, 415
    static let bodyTooLarge = ProblemType("body-too-large", .contentTooLarge, "Request body too large")
    static let unsupportedMediaType = ProblemType("unsupported-media-type", .unsupportedMediaType, "Request body must be JSON")
    // 422
    static let invalidRequestBody = ProblemType("invalid-request-body", .unprocessableContent, "Request body does not fit the route")
    static let invalidParams = ProblemType("invalid-params", .unprocessableContent, "Input does not fit the graph")
    static let invalidCounterfactual = ProblemType("invalid-counterfactual", .unprocessableContent, "Counterfactual request does not fit the run")
    static let invalidBrokerRequest = ProblemType("invalid-broker-request", .unprocessableContent, "Broker request does not fit")
    static let unprocessable = ProblemType("unprocessable", .unprocessableContent, "Unprocessable request")
    // 426, 429
    static let upgradeRequired = ProblemType("upgrade-required", .upgradeRequired, "WebSocket upgrade required")
    static let rateLimited = ProblemType("rate-limited", .tooManyRequests, "Rate limit exceeded")
    // 431
    static let headersTooLarge = ProblemType("headers-too-large", .requestHeaderFieldsTooLarge, "Request head too large")
    // 500
    static let internalError = ProblemType("internal-error", .internalServerError, "Internal server error")
    static let auditWriteFailed = ProblemType("audit-write-failed", .internalServerError, "Audit log not writable")
    // 501
    static let methodNotImplemented = ProblemType("method-not-implemented", .notImplemented, "Method not implemented")
    // 503
    static let shuttingDown = ProblemType("shutting-down", .serviceUnavailable, "Server shutting down")
    static let storageUnavailable = ProblemType("storage-unavailable", .serviceUnavailable, "Store or audit log not writable")
    static let unhealthy = ProblemType("unhealthy", .serviceUnavailable, "Component unhealthy")
    static let brokerNotConfigured = ProblemType("broker-not-configured", .serviceUnavailable, "No broker configured")
    static let auditNotConfigured = ProblemType("audit-not-configured", .serviceUnavailable, "No audit log configured")
    static let unavailable = ProblemType("unavailable", .serviceUnavailable, "Service unavailable")

    /// Every kind, for `docs/api.md` and the test that keeps the two in step.
    static let all: [ProblemType] = [
        invalidJSON, invalidPathParameter, invalidQueryParameter, unknownQueryParameter, badRequest, malformedRequest,
        upgradeRefused, unauthorized, forbidden, routeNotFound, runNotFound, graphNotFound, artifactNotFound, notFound,
        methodNotAllowed, requestTimeout, idempotencyConflict, invalidTransition, graphHashMismatch, conflict, bodyTooLarge,
        unsupportedMediaType, invalidRequestBody, invalidParams, invalidCounterfactual, invalidBrokerRequest, unprocessable,
        upgradeRequired, rateLimited, headersTooLarge, internalError, auditWriteFailed, methodNotImplemented, shuttingDown,
        storageUnavailable, unhealthy, brokerNotConfigured, auditNotConfigured, unavailable,
    ]

    /// The generic kind of a status, for failures no specific kind names (Hummingbird's own
    /// errors, a bare 4xx from an inner piece); `nil` for a status the server never answers with.
    static func generic(for status: HTTPResponse.Status) -> ProblemType? {
        generics[status.code]
    }

    private static let generics: [Int: ProblemType] = Dictionary(uniqueKeysWithValues: [
        badRequest, unauthorized, forbidden, notFound, methodNotAllowed, conflict, bodyTooLarge,
        unsupportedMediaType, unprocessable, upgradeRequired, rateLimited, internalError, unavailable,
    ].map { ($0.status.code, $0) })
}
