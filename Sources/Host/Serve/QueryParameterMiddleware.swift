import Hummingbird

/// Refuses a request whose query names a parameter its route does not take: a 400 naming the
/// unknown parameters and those the route takes, so a typo (`?limt=5`) is not silently ignored.
/// Requests no route matches pass on, to be answered 404 or 405.
struct QueryParameterMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTemplates

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.query?.isEmpty == false,
              let taken = routes.queryParameters(method: request.method, path: request.uri.path)
        else { return try await next(request, context) }
        let unknown = Set(request.uri.queryParameters.map { String($0.key) }).subtracting(taken).sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { "'\($0)'" }.joined(separator: ", ")
            let route = "\(request.method.rawValue) \(request.uri.path)"
            let accepted = taken.isEmpty ? "it takes no query parameters" : "it takes \(taken.joined(separator: ", "))"
            throw Problem(
                .unknownQueryParameter, detail: "unknown query parameter\(unknown.count == 1 ? "" : "s") \(names) for \(route); \(accepted)",
                extensions: ["unknown_parameters": .array(unknown.map { .string($0) })])
        }
        return try await next(request, context)
    }
}
