import Hummingbird

/// The server's routes as path templates (`/v1/runs/{id}`) with their methods and query
/// parameters, taken from the OpenAPI document, so an unmatched request can be told apart (a
/// path no route has: 404; a method the path does not support: 405 with `Allow`) and a query
/// parameter no route takes is refused by name. `HEAD` goes wherever `GET` does.
struct RouteTemplates: Sendable {
    private struct Template: Sendable {
        let segments: [Substring]
        /// The query parameters each method of the path takes.
        let methods: [(method: HTTPRequest.Method, query: [String])]
    }

    private let templates: [Template]

    /// Templates for `operations` (`path` in OpenAPI syntax, `method` upper-case).
    init(operations: [OpenAPIDocument.Operation]) {
        var byPath: [String: [(method: HTTPRequest.Method, query: [String])]] = [:]
        var order: [String] = []
        for operation in operations {
            guard let method = HTTPRequest.Method(operation.method) else { continue }
            if byPath[operation.path] == nil { order.append(operation.path) }
            byPath[operation.path, default: []].append((method, operation.query))
            if method == .get { byPath[operation.path, default: []].append((.head, operation.query)) }
        }
        templates = order.map { path in
            Template(segments: Self.segments(path), methods: byPath[path] ?? [])
        }
    }

    /// The methods routes accept on `path` (empty when no route has that path).
    func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let requested = Self.segments(path)
        var methods: [HTTPRequest.Method] = []
        for template in templates where Self.matches(template.segments, requested) {
            methods.append(contentsOf: template.methods.map(\.method).filter { !methods.contains($0) })
        }
        return methods
    }

    /// The query parameters the route for `method` on `path` takes; `nil` when no route matches.
    func queryParameters(method: HTTPRequest.Method, path: String) -> [String]? {
        let requested = Self.segments(path)
        for template in templates where Self.matches(template.segments, requested) {
            if let route = template.methods.first(where: { $0.method == method }) { return route.query }
        }
        return nil
    }

    private static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        guard template.count == path.count else { return false }
        return zip(template, path).allSatisfy { pattern, segment in
            pattern.first == "{" || pattern == segment
        }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
