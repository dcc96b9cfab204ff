import Foundation
import Hummingbird
import Logging
import Testing
@testable import StargraphHost

/// `rest` sources against a real HTTP server on loopback: rows, request data as query items,
/// timeouts and refused redirects, each failure confined to its own source.
@Suite("Broker rest sources")
struct BrokerRestTests {
    private func source(_ id: String, url: String, timeout: Double = 5) -> BrokerSource {
        BrokerSource(
            id: id, kind: .rest(url: URL(string: url)!), description: "", classification: "public",
            dataTypes: ["ticket"], allowedPurposes: ["support"], timeoutSeconds: timeout, maxRows: 2)
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
        let server = try await TestServer.start(router: router)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-rest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = "http://127.0.0.1:\(server.port)"
        let policy = BrokerPolicy(
            sourceFile: folder.appendingPathComponent("nautilus.yaml").path, version: "1", clearanceLevels: ["public"],
            sources: [source("rows", url: base + "/rows"), source("slow", url: base + "/slow", timeout: 0.2), source("bounce", url: base + "/bounce")],
            agents: [BrokerAgent(id: "bot", clearance: "public", allowedPurposes: ["support"])],
            intentMap: [], allowedHosts: [],
            attestation: AttestationSettings(enabled: false, privateKeyPath: ""),
            auditPath: folder.appendingPathComponent("audit.jsonl").path)
        let broker = try Broker(policy: policy, logger: Logger(label: "test"))
        let started = ContinuousClock.now
        let response: BrokerResponse
        let elapsed: Duration
        do {
            response = try await broker.handle(
                BrokerRequest(agentId: "bot", intent: "a&b=c/../x?y", purpose: "support", dataTypes: ["ticket"]),
                requestId: "breq-rest", origin: "test")
            elapsed = ContinuousClock.now - started
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
        #expect(elapsed < .seconds(1.5), "the slow source's timeout bounds the request")
        #expect(response.sourcesQueried == ["rows"])
        #expect(response.data["rows"] == [["n": 1, "intent": "a&b=c/../x?y"], ["n": 2]], "max_rows caps, the intent arrives intact")
        let errors = Dictionary(uniqueKeysWithValues: response.sourcesErrored.map { ($0.sourceId, $0.error) })
        #expect(errors["slow"] == "timed out after 0.2 s")
        #expect(errors["bounce"] == "the source answered HTTP 302")
        #expect(response.attestationToken == nil)
        #expect(broker.jwks == ["keys": []])
    }
}
