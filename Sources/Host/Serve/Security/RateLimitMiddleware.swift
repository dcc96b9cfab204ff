import Foundation
import HTTPTypes
import Hummingbird

/// Token-bucket rate limiting per actor on mutating routes (every method but GET, HEAD and
/// OPTIONS), with the `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers of
/// the IETF draft on those responses, and 429 problem+json with `Retry-After` when the bucket
/// is empty.
///
/// The actor is the API key id of `context.principal` (set by ``AuthMiddleware``, which must
/// come first), else the context's ``PrincipalCarrying/clientAddress``, else one shared
/// anonymous bucket. Memory is bounded (see ``TokenBucketTable``).
public struct RateLimitMiddleware<Context: PrincipalCarrying>: RouterMiddleware {
    private let table: TokenBucketTable
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// Allows each actor `burst` requests at once, refilled at `requestsPerSecond`.
    /// Both must be positive.
    public init(requestsPerSecond: Double, burst: Int) {
        self.init(requestsPerSecond: requestsPerSecond, burst: burst, maxActors: 10_000)
    }

    /// As ``init(requestsPerSecond:burst:)``, holding at most `maxActors` buckets.
    init(requestsPerSecond: Double, burst: Int, maxActors: Int) {
        table = TokenBucketTable(rate: requestsPerSecond, burst: burst, maxBuckets: maxActors)
        origin = clock.now
    }

    /// Passes safe methods through; for the others takes a token and answers 429 when none is left.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard ![.get, .head, .options].contains(request.method) else { return try await next(request, context) }
        let elapsed = clock.now - origin
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let decision = table.take(Self.actor(context), now: now)
        guard decision.allowed else {
            var headers = rateLimitHeaders(decision)
            headers[.retryAfter] = String(decision.retryAfterSeconds)
            return Problem(
                .rateLimited,
                detail: "rate limit of \(table.burst) requests (refilled at \(table.rate)/s) exceeded for this client; "
                    + "retry after \(decision.retryAfterSeconds) s",
                headers: headers
            ).response()
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        for field in rateLimitHeaders(decision) { response.headers.append(field) }
        return response
    }

    private func rateLimitHeaders(_ decision: TokenBucketTable.Decision) -> HTTPFields {
        var headers = HTTPFields()
        headers[Self.limitField] = String(table.burst)
        headers[Self.remainingField] = String(decision.remaining)
        headers[Self.resetField] = String(decision.resetSeconds)
        return headers
    }

    static func actor(_ context: Context) -> String {
        if let principal = context.principal, !principal.isAnonymous { return "key:" + principal.id }
        if let address = context.clientAddress { return "ip:" + address }
        return "anonymous"
    }

    static var limitField: HTTPField.Name { HTTPField.Name("RateLimit-Limit")! }
    static var remainingField: HTTPField.Name { HTTPField.Name("RateLimit-Remaining")! }
    static var resetField: HTTPField.Name { HTTPField.Name("RateLimit-Reset")! }
}
