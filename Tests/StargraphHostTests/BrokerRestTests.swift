import Foundation
import Hummingbird
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphBroker
@testable import StargraphServe

/// `rest` sources against a real HTTP server on loopback: rows, request data as query items,
/// timeouts, refused redirects, the answer-size cap and refused connections, each failure
/// confined to its own source.
@Suite("Broker rest sources")
struct BrokerRestTests {
    private func source(_ id: String, url: String, timeout: Double = 5) -> BrokerSource {
        BrokerSource(
            id: id, kind: .rest(url: URL(string: url)!), description: "", classification: "public",
            dataTypes: ["ticket"], allowedPurposes: ["support"], timeoutSeconds: timeout, maxRows: 2)
    }

    /// Serves `router` on loopback and asks a broker whose sources are `sources(baseURL)` for
    /// `intent`; returns its answer and how long `handle` took, once the server has stopped.
    private func ask(
        _ intent: String, router: Router<StargraphRequestContext>, sources: (String) -> [BrokerSource]
    ) async throws -> (response: BrokerResponse, elapsed: Duration) {
        let server = try await TestServer.start(router: router)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-rest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let policy = BrokerPolicy(
            sourceFile: folder.appendingPathComponent("nautilus.yaml").path, version: "1", clearanceLevels: ["public"],
            sources: sources("http://127.0.0.1:\(server.port)"),
            agents: [BrokerAgent(id: "bot", clearance: "public", allowedPurposes: ["support"])],
            intentMap: [], allowedHosts: [],
            attestation: AttestationSettings(enabled: false, privateKeyPath: ""),
            auditPath: folder.appendingPathComponent("audit.jsonl").path)
        do {
            let broker = try Broker(policy: policy, logger: Logger(label: "test"))
            let started = ContinuousClock.now
            let response = try await broker.handle(
                BrokerRequest(agentId: "bot", intent: intent, purpose: "support", dataTypes: ["ticket"]),
                requestId: "breq-rest", origin: "test")
            let elapsed = ContinuousClock.now - started
            await server.stop()
            #expect(broker.jwks == ["keys": []])
            return (response, elapsed)
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test("rows arrive with request data as query items; a slow and a redirecting source error alone")
    func restSources() async throws {
        let router = Router(context: StargraphRequestContext.self)
        router.get("rows") { request, _ in
            let intent = request.uri.queryParameters.get("intent") ?? ""
            return JSONMessages.response([["n": 1, "intent": .string(intent)], ["n": 2], ["n": 3]])
        }
        router.get("slow") { _, _ in
            try await Task.sleep(for: .seconds(2))
            return JSONMessages.response([])
        }
        router.get("bounce") { _, _ in
            Response(status: .found, headers: [.location: "http://127.0.0.1:1/rows"])
        }
        let (response, elapsed) = try await ask("a&b=c/../x?y", router: router) { base in
            [source("rows", url: base + "/rows"), source("slow", url: base + "/slow", timeout: 0.2), source("bounce", url: base + "/bounce")]
        }
        #expect(elapsed < .seconds(1.5), "the slow source's timeout bounds the request")
        #expect(response.sourcesQueried == ["rows"])
        #expect(response.data["rows"] == [["n": 1, "intent": "a&b=c/../x?y"], ["n": 2]], "max_rows caps, the intent arrives intact")
        let errors = Dictionary(uniqueKeysWithValues: response.sourcesErrored.map { ($0.sourceId, $0.error) })
        #expect(errors["slow"] == "timed out after 0.2 s")
        #expect(errors["bounce"] == "the source answered HTTP 302")
        #expect(response.attestationToken == nil)
    }

    @Test("an answer over the size cap, and a refused connection, error alone, at once and without URLs")
    func limits() async throws {
        let router = Router(context: StargraphRequestContext.self)
        router.get("echo") { request, _ in
            JSONMessages.response([["intent": .string(request.uri.queryParameters.get("intent") ?? "")]])
        }
        router.get("huge") { _, _ in
            let padding = [UInt8](repeating: UInt8(ascii: "x"), count: BrokerHTTPClient.maxResponseBytes)
            return JSONMessages.response(bytes: Array(#"[{"pad": ""#.utf8) + padding + Array(#""}]"#.utf8))
        }
        let (response, _) = try await ask("1+1 = 2 & more", router: router) { base in
            [source("echo", url: base + "/echo"), source("huge", url: base + "/huge"), source("closed", url: "http://127.0.0.1:1/rows")]
        }
        #expect(response.sourcesQueried == ["echo"])
        #expect(response.data["echo"] == [["intent": "1+1 = 2 & more"]], "'+' and '&' arrive as data")
        let errors = Dictionary(uniqueKeysWithValues: response.sourcesErrored.map { ($0.sourceId, $0.error) })
        #expect(errors["huge"] == "the source's answer is over 16 MiB; have it return fewer or smaller rows")
        let closed = try #require(errors["closed"])
        #expect(closed.hasPrefix("the HTTP request failed ("))
        #expect(!closed.contains("127.0.0.1") && !closed.contains("/rows"), "no address in \(closed)")
        #expect(response.durationMs < 2500, "a refused connection fails at once, not at the 5 s timeout")
    }
}
