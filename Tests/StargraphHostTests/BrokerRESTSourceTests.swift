import Foundation
import Hummingbird
import Logging
import Testing
@testable import StargraphHost

/// `rest` source limits against a real HTTP server on loopback (rows, redirects and timeouts are
/// in ``BrokerRestTests``): the answer-size cap, `+` kept as data in a query value, and an
/// unreachable source reported without its address.
@Suite("Broker rest source limits")
struct BrokerRESTSourceTests {
    private func source(_ id: String, url: String) -> BrokerSource {
        BrokerSource(
            id: id, kind: .rest(url: URL(string: url)!), description: "", classification: "public",
            dataTypes: ["ticket"], allowedPurposes: ["support"], timeoutSeconds: 5, maxRows: 10)
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
        let server = try await TestServer.start(router: router)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-rest-limits-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = "http://127.0.0.1:\(server.port)"
        let policy = BrokerPolicy(
            sourceFile: folder.appendingPathComponent("nautilus.yaml").path, version: "1", clearanceLevels: ["public"],
            sources: [source("echo", url: base + "/echo"), source("huge", url: base + "/huge"), source("closed", url: "http://127.0.0.1:1/rows")],
            agents: [BrokerAgent(id: "bot", clearance: "public", allowedPurposes: ["support"])],
            intentMap: [], allowedHosts: [],
            attestation: AttestationSettings(enabled: false, privateKeyPath: ""),
            auditPath: folder.appendingPathComponent("audit.jsonl").path)
        let broker = try Broker(policy: policy, logger: Logger(label: "test"))
        let response: BrokerResponse
        do {
            response = try await broker.handle(
                BrokerRequest(agentId: "bot", intent: "1+1 = 2 & more", purpose: "support", dataTypes: ["ticket"]),
                requestId: "breq-rest-limits", origin: "test")
            await server.stop()
        } catch {
            await server.stop()
            throw error
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
