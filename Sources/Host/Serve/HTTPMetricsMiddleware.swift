import Hummingbird
import Metrics
import Synchronization

/// Counts every answered request and its duration by route template, method and status:
/// `stargraph_http_requests_total` and `stargraph_http_request_duration_seconds`. The route is
/// the matched template (`/v1/runs/{id}`, never the raw path, so run ids do not multiply the
/// series), or `unmatched` for a request no route has. Outermost, so it sees the final status
/// of every answer, problems included.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private struct Series: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private struct Instruments: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
    }

    /// The instruments of each series seen, so a request does not go through the factory's lock.
    private final class Cache: Sendable {
        let instruments = Mutex<[Series: Instruments]>([:])
    }

    private let cache = Cache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: start)
            return response
        } catch {
            record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        let series = Series(route: route, method: request.method.rawValue, status: status)
        let instruments = cache.instruments.withLock { cached in
            if let known = cached[series] { return known }
            let dimensions = [("route", series.route), ("method", series.method), ("status", String(series.status))]
            let made = Instruments(
                requests: Counter(label: "stargraph_http_requests_total", dimensions: dimensions),
                duration: Metrics.Timer(label: "stargraph_http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds))
            cached[series] = made
            return made
        }
        instruments.requests.increment()
        instruments.duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
