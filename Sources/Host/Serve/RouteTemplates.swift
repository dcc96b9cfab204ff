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

    /// Templates for `operations` (`path` in OpenAPI syntax).
    init(operations: [OpenAPIDocument.Operation]) {
        var byPath: [String: [(method: HTTPRequest.Method, query: [String])]] = [:]
        var order: [String] = []
        for operation in operations {
            let method = operation.method
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
        var methods: [HTTPRequest.Method] = []
        for template in matching(path) {
            methods.append(contentsOf: template.methods.map(\.method).filter { !methods.contains($0) })
        }
        return methods
    }

    /// The query parameters the route for `method` on `path` takes; `nil` when no route matches.
    func queryParameters(method: HTTPRequest.Method, path: String) -> [String]? {
        for template in matching(path) {
            if let route = template.methods.first(where: { $0.method == method }) { return route.query }
        }
        return nil
    }

    /// The templates that match `path` with the most literal segments, as the router picks a
    /// literal segment (`/v1/runs/wait`) over a parameter (`/v1/runs/{id}`).
    private func matching(_ path: String) -> [Template] {
        let requested = Self.segments(path)
        let scored = templates.compactMap { template in Self.literalMatches(template.segments, requested).map { (template, $0) } }
        guard let best = scored.map(\.1).max() else { return [] }
        return scored.filter { $0.1 == best }.map(\.0)
    }

    /// How many of `template`'s segments match `path` literally, or `nil` when it does not match.
    private static func literalMatches(_ template: [Substring], _ path: [Substring]) -> Int? {
        guard template.count == path.count else { return nil }
        var literal = 0
        for (pattern, segment) in zip(template, path) {
            if pattern.first == "{" { continue }
            guard pattern == segment else { return nil }
            literal += 1
        }
        return literal
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
