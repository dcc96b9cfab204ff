import Hummingbird

/// The server's routes as path templates (`/v1/runs/{id}`) with their methods, taken from the
/// OpenAPI document, so an unmatched request can be told apart: a path no route has (404) from
/// a method the path does not support (405 with `Allow`).
struct RouteTemplates: Sendable {
    private struct Template: Sendable {
        let segments: [Substring]
        let methods: [HTTPRequest.Method]
    }

    private let templates: [Template]

    /// Templates for `operations` (`path` in OpenAPI syntax, `method` upper-case).
    init(operations: [(method: String, path: String)]) {
        var byPath: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for operation in operations {
            guard let method = HTTPRequest.Method(operation.method) else { continue }
            if byPath[operation.path] == nil { order.append(operation.path) }
            byPath[operation.path, default: []].append(method)
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
            methods.append(contentsOf: template.methods.filter { !methods.contains($0) })
        }
        return methods
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
