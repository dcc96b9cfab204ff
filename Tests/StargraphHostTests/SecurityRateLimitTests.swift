import Foundation
import Hummingbird
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphServe

@Suite("Security: rate limiting")
struct SecurityRateLimitTests {
    typealias Context = StargraphRequestContext

    static func router(rate: Double, burst: Int, keys: APIKeyStore? = nil) -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: AuthMiddleware(profile: .ossDefault, keys: keys))
        router.add(middleware: RateLimitMiddleware(requestsPerSecond: rate, burst: burst))
        router.post("v1/runs") { _, _ in "accepted" }
        router.post("v1/runs/:id/cancel") { _, _ -> String in throw Problem(.runNotFound, detail: "no such run") }
        router.get("v1/runs") { _, _ in "listed" }
        return router
    }

    @Test func mutatingRoutesCarryHeadersAndAnswer429WithRetryAfter() async throws {
        let server = try await TestServer.start(router: Self.router(rate: 0.5, burst: 2))
        defer { Task { await server.stop() } }
        let first = try await httpRequest(port: server.port, "POST", "/v1/runs")
        #expect(first.status == 200)
        #expect(first.header("RateLimit-Limit") == "2")
        #expect(first.header("RateLimit-Remaining") == "1")
        #expect(Int(first.header("RateLimit-Reset") ?? "") ?? 0 >= 1)

        // Errors from the route still carry the headers.
        let second = try await httpRequest(port: server.port, "POST", "/v1/runs/x/cancel")
        #expect(second.status == 404)
        #expect(second.header("RateLimit-Remaining") == "0")

        let refused = try await httpRequest(port: server.port, "POST", "/v1/runs")
        #expect(refused.status == 429)
        #expect(refused.header("Content-Type") == "application/problem+json")
        #expect(refused.json?["status"] == 429)
        let retryAfter = Int(refused.header("Retry-After") ?? "") ?? 0
        #expect((1...2).contains(retryAfter))
        #expect(refused.header("RateLimit-Limit") == "2")
        #expect(refused.header("RateLimit-Remaining") == "0")

        // Safe methods are never limited and carry no rate-limit headers.
        let listed = try await httpRequest(port: server.port, "GET", "/v1/runs")
        #expect(listed.status == 200)
        #expect(listed.header("RateLimit-Limit") == nil)
    }

    @Test func bucketsArePerKeyHolder() async throws {
        let keys = try APIKeyStore(keys: [
            APIKey(id: "a", keySHA256: ContentHash.sha256Hex(Array("key-a".utf8)), capabilities: []),
            APIKey(id: "b", keySHA256: ContentHash.sha256Hex(Array("key-b".utf8)), capabilities: []),
        ])
        let server = try await TestServer.start(router: Self.router(rate: 0.1, burst: 1, keys: keys))
        defer { Task { await server.stop() } }
        #expect(try await httpRequest(port: server.port, "POST", "/v1/runs", headers: ["X-Api-Key": "key-a"]).status == 200)
        #expect(try await httpRequest(port: server.port, "POST", "/v1/runs", headers: ["X-Api-Key": "key-a"]).status == 429)
        #expect(try await httpRequest(port: server.port, "POST", "/v1/runs", headers: ["X-Api-Key": "key-b"]).status == 200)
        // Anonymous callers are keyed by address, apart from both key holders.
        #expect(try await httpRequest(port: server.port, "POST", "/v1/runs").status == 200)
        #expect(try await httpRequest(port: server.port, "POST", "/v1/runs").status == 429)
    }

    @Test func tokenBucketRefillsAndReportsTimes() {
        let table = TokenBucketTable(rate: 2, burst: 4)
        for expected in [3, 2, 1, 0] {
            let decision = table.take("k", now: 10)
            #expect(decision.allowed && decision.remaining == expected)
        }
        let refused = table.take("k", now: 10)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(refused.resetSeconds == 2)
        #expect(table.take("k", now: 10.5).allowed)
        #expect(!table.take("k", now: 10.5).allowed)
        #expect(table.take("k", now: 100).remaining == 3)
    }

    @Test func tokenBucketMemoryStaysBounded() {
        let table = TokenBucketTable(rate: 1, burst: 5, maxBuckets: 50)
        for index in 0..<10_000 {
            _ = table.take("client-\(index)", now: Double(index) * 0.001)
            #expect(table.count <= 50)
        }
        // The most recent actor kept its (drained) bucket.
        _ = table.take("hot", now: 20)
        for _ in 0..<5 { _ = table.take("hot", now: 20) }
        #expect(!table.take("hot", now: 20).allowed)
        for index in 0..<100 { _ = table.take("burst-\(index)", now: 20) }
        #expect(table.count <= 50)
    }
}
