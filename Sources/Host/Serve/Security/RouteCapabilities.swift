import Hummingbird

/// The capability each `/v1` route (and `GET /metrics`) needs in the `cleared` profile.
///
/// ``routes`` is the whole table, so tests and the OpenAPI document can walk it; paths use
/// Hummingbird's `{name}` parameters. A route missing here still needs a valid API key in
/// `cleared` (every `/v1` path does), but no capability beyond that.
public enum RouteCapabilities {
    /// One row of the table: a method, a path template and the capability it needs.
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public let method: HTTPRequest.Method
        public let path: String
        public let capability: String

        /// Creates a row; `path` segments written `{name}` match any one segment.
        public init(_ method: HTTPRequest.Method, _ path: String, _ capability: String) {
            self.method = method
            self.path = path
            self.capability = capability
        }

        public var description: String { "\(method.rawValue) \(path)" }
    }

    /// Every capability a key file may grant, in a stable order.
    public static let allCapabilities = [
        "runs:start", "runs:read", "runs:cancel", "runs:pause", "runs:resume", "runs:respond",
        "counterfactual:run", "artifacts:read", "metrics:read", "tools:broker_request", "audit:read",
    ]

    /// The route table: every `/v1` route with the capability it needs.
    public static let routes: [Route] = [
        Route(.post, "/v1/runs", "runs:start"),
        Route(.post, "/v1/runs/wait", "runs:start"),
        Route(.get, "/v1/runs", "runs:read"),
        Route(.get, "/v1/runs/{id}", "runs:read"),
        Route(.get, "/v1/runs/{id}/steps", "runs:read"),
        Route(.get, "/v1/runs/{id}/stream", "runs:read"),
        Route(.get, "/v1/runs/{id}/events", "runs:read"),
        Route(.get, "/v1/runs/{id}/diff", "runs:read"),
        Route(.post, "/v1/runs/{id}/cancel", "runs:cancel"),
        Route(.post, "/v1/runs/{id}/pause", "runs:pause"),
        Route(.post, "/v1/runs/{id}/resume", "runs:resume"),
        Route(.post, "/v1/runs/{id}/respond", "runs:respond"),
        Route(.post, "/v1/runs/{id}/counterfactual", "counterfactual:run"),
        Route(.get, "/v1/runs/{id}/artifacts", "artifacts:read"),
        Route(.get, "/v1/artifacts/{id}", "artifacts:read"),
        Route(.get, "/v1/graphs", "runs:read"),
        Route(.get, "/v1/graphs/{id}", "runs:read"),
        Route(.get, "/v1/plugins", "runs:read"),
        Route(.post, "/v1/broker/request", "tools:broker_request"),
        Route(.get, "/v1/broker/sources", "tools:broker_request"),
        Route(.get, "/v1/broker/jwks.json", "tools:broker_request"),
        Route(.get, "/v1/audit/head", "audit:read"),
        Route(.get, "/v1/audit/jwks.json", "audit:read"),
        Route(.get, "/metrics", "metrics:read"),
    ]

    /// The capability `method` on `path` needs, or `nil` when the route is not in the table
    /// (`HEAD` is looked up as `GET`; query strings and empty segments are ignored).
    public static func capability(method: HTTPRequest.Method, path: String) -> String? {
        let method = method == .head ? .get : method
        let segments = pathSegments(path)
        return routes.first { $0.method == method && matches(template: $0.path, segments: segments) }?.capability
    }

    /// Whether `path` is protected in `cleared`: everything under `/v1`, and `/metrics`.
    public static func requiresAuthentication(path: String) -> Bool {
        let segments = pathSegments(path)
        return segments.first == "v1" || segments == ["metrics"]
    }

    static func pathSegments(_ path: String) -> [Substring] {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return withoutQuery.split(separator: "/")
    }

    private static func matches(template: String, segments: [Substring]) -> Bool {
        let parts = template.split(separator: "/")
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { part, segment in part.hasPrefix("{") || part == segment }
    }
}
