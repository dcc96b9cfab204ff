import Hummingbird
import Logging
import NIOCore
import StargraphScheduler

/// The outermost middleware: every failure leaves the server as `application/problem+json`.
///
/// Thrown ``Problem``s pass through; Hummingbird's own errors (unmatched routes, oversized
/// bodies) and the host's errors are mapped to their status; anything unexpected becomes a 500
/// whose detail names the request id (the cause goes to the log, never to the client). An
/// unmatched request is a 405 with `Allow` when its path has routes for other methods, else a 404.
/// A 4xx/5xx response some inner piece returned without a problem body is rewritten into one.
///
/// `answered` sees every problem it answers with (the server records those of refused WebSocket
/// upgrades, which Hummingbird's upgrade path would otherwise drop).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTemplates
    var answered: @Sendable (Problem, Request, Context) -> Void = { _, _, _ in }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let problem = problem(for: error, request: request, context: context)
            answered(problem, request, context)
            return problem.response()
        }
        guard response.status.code >= 400, response.headers[.contentType] != Problem.mediaType else {
            return response
        }
        // An inner middleware turned an error into a bare response: keep its headers
        // (`RateLimit-*`, `Allow`), give it a problem body.
        var headers = response.headers
        headers[.contentType] = nil
        headers[.contentLength] = nil
        var problem = Problem(
            status: response.status, detail: "\(request.method) \(request.uri.path) failed with \(response.status.code) \(response.status.reasonPhrase)")
        if response.status == .notFound, context.endpointPath == "NotFound" { problem = unmatched(request) }
        for field in problem.headers { headers[field.name] = field.value }
        problem.headers = headers
        answered(problem, request, context)
        return problem.response()
    }

    private func problem(for error: any Error, request: Request, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError where error.status == .notFound && context.endpointPath == "NotFound":
            return unmatched(request)
        case let error as HTTPError:
            return Problem(status: error.status, detail: error.body ?? error.status.reasonPhrase, headers: error.headers)
        case is NIOTooManyBytesError:
            return Problem(.bodyTooLarge, detail: "the request body is larger than \(context.maxUploadSize) bytes; send a smaller body")
        case let error as SchedulerError:
            return Problem(error)
        case let error as any HTTPResponseError:
            return Problem(status: error.status, detail: "\(error)")
        case is CancellationError:
            return Problem(.shuttingDown, detail: "the server is shutting down; retry against a running server")
        default:
            context.logger.error("request failed with an unexpected error", metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)",
            ])
            return Problem(.internalError, detail: "the server failed to answer \(request.method) \(request.uri.path) (request id \(context.id)); the server log has the cause")
        }
    }

    private func unmatched(_ request: Request) -> Problem {
        let allowed = routes.allowedMethods(for: request.uri.path)
        guard !allowed.isEmpty else {
            return Problem(.routeNotFound, detail: "no route \(request.method) \(request.uri.path); /openapi.json lists the routes")
        }
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(.methodNotAllowed, detail: "\(request.uri.path) does not accept \(request.method); use \(list)", headers: [.allow: list])
    }
}
