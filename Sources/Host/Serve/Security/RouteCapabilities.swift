import Hummingbird

/// The capability each `/v1` route (and `GET /metrics`) needs in the `cleared` profile.
///
/// ``routes`` is the whole table, read from the OpenAPI document's operations; paths use `{name}`
/// parameters. Every `/v1` path needs a valid API key in `cleared`.
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

    /// The route table: every `/v1` route (and `GET /metrics`) with the capability it needs, as
    /// ``OpenAPIDocument`` declares them (`x-capability`).
    public static let routes: [Route] = OpenAPIDocument.operations.compactMap { operation in
        operation.capability.map { Route(operation.method, operation.path, $0) }
    }

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
