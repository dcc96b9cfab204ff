import Crypto
import Foundation
import GRDB
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphAudit
@testable import StargraphBroker

/// The example broker (examples/broker) copied into a temp folder, its sqlite source created
/// from incidents.sql, so no binary is committed and tests never write into the repository.
enum BrokerFixture {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/broker")

    /// Copies the example config and graph into `folder/broker`; creates `incidents.sqlite` unless
    /// `withDatabase` is false. Returns the config's and the graph's paths.
    @discardableResult
    static func install(into folder: URL, withDatabase: Bool = true) throws -> (config: String, graph: String) {
        let target = folder.appendingPathComponent("broker")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for name in ["nautilus.yaml", "graph.yaml"] {
            try FileManager.default.copyItem(at: examples.appendingPathComponent(name), to: target.appendingPathComponent(name))
        }
        if withDatabase {
            let database = try DatabaseQueue(path: target.appendingPathComponent("incidents.sqlite").path)
            let sql = try String(contentsOf: examples.appendingPathComponent("incidents.sql"), encoding: .utf8)
            try database.write { try $0.execute(sql: sql) }
            try database.close()
        }
        return (target.appendingPathComponent("nautilus.yaml").path, target.appendingPathComponent("graph.yaml").path)
    }

    /// A fresh temp folder holding the example.
    static func folder(withDatabase: Bool = true) throws -> (folder: URL, config: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-\(UUID().uuidString)")
        let paths = try install(into: folder, withDatabase: withDatabase)
        return (folder, paths.config)
    }

    /// Boots a real server with the example broker and graph (only that graph), runs `body`.
    static func withServer(withDatabase: Bool = true, _ body: (ServeTestHarness) async throws -> Void) async throws {
        try await ServeTestHarness.with(configure: { options, folder in
            let paths = try install(into: folder, withDatabase: withDatabase)
            options.brokerConfigPath = paths.config
            options.graphPaths = [paths.graph]
        }, body)
    }

    /// The public key the server publishes at `GET /v1/broker/jwks.json`.
    static func publishedKey(_ server: ServeTestHarness) async throws -> Curve25519.Signing.PublicKey {
        let jwks = try await server.request("GET", "/v1/broker/jwks.json").json()
        let jwk = try #require(jwks["keys"]?.arrayValue?.first)
        return try #require(CompactJWS.publicKey(fromJWK: jwk))
    }

    /// Runs the example graph for `agent` asking `question`; returns the finished run's `answer`.
    static func ask(_ server: ServeTestHarness, agent: String, question: String) async throws -> JSONValue {
        let body = CanonicalJSON.encode(["graph_id": "graph:broker-demo", "params": ["agent_id": .string(agent), "question": .string(question)]])
        let posted = try await server.request("POST", "/v1/runs", body: body)
        #expect(posted.status == 202)
        let summary = try await server.waitForRun(try #require(try posted.json()["run_id"]?.stringValue))
        #expect(summary["status"]?.stringValue == "done", "run failed: \(summary["error_cause"] ?? .null)")
        return try #require(summary["state"]?["answer"])
    }
}

@Suite("Broker through the real server")
struct BrokerServerTests {
    @Test("an allowed purpose gets rows from both sources and a token that verifies with the JWKS key")
    func allowedRequest() async throws {
        try await BrokerFixture.withServer { server in
            let answer = try await BrokerFixture.ask(server, agent: "support-bot", question: "Product and incident status please")
            #expect(answer["sources_queried"] == ["product-catalog", "incident-db"])
            #expect(answer["sources_denied"] == [])
            #expect(answer["sources_skipped"] == ["hr-records"])
            #expect(answer["sources_errored"] == [])
            #expect(answer["data"]?["product-catalog"]?.arrayValue?.count == 2)
            // Open incidents unassigned or assigned to this agent (the bound :agent_id).
            #expect(answer["data"]?["incident-db"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [1, 2])

            let token = try #require(answer["attestation_token"]?.stringValue)
            let claims = try #require(CompactJWS.verify(token, publicKey: try await BrokerFixture.publishedKey(server)))
            #expect(claims["agent"] == "support-bot")
            #expect(claims["purpose"] == "support")
            #expect(claims["request_id"] == answer["request_id"])
            #expect(claims["sources_queried"] == answer["sources_queried"])
            #expect(claims["data_sha256"]?.stringValue == ContentHash.sha256Hex(CanonicalJSON.bytes(try #require(answer["data"]))))
            let header = try #require(CompactJWS.decode(String(token.split(separator: ".")[0])))
            #expect(try JSONParser.parse(bytes: header)["alg"] == "EdDSA")

            let audit = server.folder.appendingPathComponent("broker/audit/broker.jsonl").path
            #expect(try AuditVerifier.verify(path: audit) == .intact(records: 1))
        }
    }

    @Test("a lower clearance is denied with a denial record; the public source still answers")
    func lowerClearanceDenied() async throws {
        try await BrokerFixture.withServer { server in
            let answer = try await BrokerFixture.ask(server, agent: "kiosk", question: "product and incident status")
            #expect(answer["sources_denied"] == ["incident-db"])
            #expect(answer["sources_queried"] == ["product-catalog"])
            #expect(answer["data"]?["incident-db"] == nil)
            let denial = try #require(answer["denial_records"]?.arrayValue?.first)
            #expect(denial["source_id"] == "incident-db")
            #expect(denial["rule"] == "clearance")
            #expect(denial["reason"]?.stringValue?.contains("'public' is below") == true)
            let claims = CompactJWS.verify(try #require(answer["attestation_token"]?.stringValue), publicKey: try await BrokerFixture.publishedKey(server))
            #expect(claims?["sources_denied"] == ["incident-db"])
        }
    }

    @Test("a source whose database file is missing is errored while the other source answers")
    func missingDatabase() async throws {
        try await BrokerFixture.withServer(withDatabase: false) { server in
            let health = try await server.request("GET", "/health").json()
            #expect(health["components"]?["broker"]?["status"] == "ok")
            let answer = try await BrokerFixture.ask(server, agent: "support-bot", question: "product and incident status")
            #expect(answer["sources_queried"] == ["product-catalog"])
            #expect(answer["data"]?["product-catalog"]?.arrayValue?.count == 2)
            let errored = try #require(answer["sources_errored"]?.arrayValue)
            #expect(errored.count == 1)
            #expect(errored.first?["source_id"] == "incident-db")
            #expect(errored.first?["error"]?.stringValue?.contains("does not exist") == true)
            #expect(errored.first?["error"]?.stringValue?.contains("incidents.sqlite") == false, "no paths leak to clients")
        }
    }

    @Test("HTTP routes: request, sources metadata without connection strings, JWKS; 422 on a bad body")
    func httpRoutes() async throws {
        try await BrokerFixture.withServer { server in
            let reply = try await server.request("POST", "/v1/broker/request", body: #"{"agent_id": "support-bot", "intent": "open incidents", "context": {"purpose": "support"}}"#)
            #expect(reply.status == 200)
            let answer = try reply.json()
            #expect(answer["request_id"]?.stringValue?.hasPrefix("breq-") == true)
            #expect(answer["sources_queried"] == ["incident-db"])
            #expect(answer["sources_skipped"] == ["product-catalog", "hr-records"])
            #expect(answer["duration_ms"]?.numberValue != nil)

            let sources = try await server.request("GET", "/v1/broker/sources")
            #expect(sources.status == 200)
            let text = String(decoding: sources.body, as: UTF8.self)
            for secret in ["incidents.sqlite", "SELECT", "connection", "query", "\"rows\"", "SG-100"] {
                #expect(!text.contains(secret), "sources leak '\(secret)'")
            }
            #expect(try sources.json()["sources"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["product-catalog", "incident-db", "hr-records"])

            try await server.request("POST", "/v1/broker/request", body: #"{"agent_id": "support-bot", "intent": "x"}"#).problem(422)
            try await server.request("POST", "/v1/broker/request", body: "{not json").problem(400)
        }
    }

    @Test("without a config the broker routes answer 503 and /health says unconfigured")
    func unconfiguredRoutes() async throws {
        try await ServeTestHarness.with { server in
            try await server.request("GET", "/v1/broker/sources").problem(503)
            try await server.request("GET", "/v1/broker/jwks.json").problem(503)
            try await server.request("POST", "/v1/broker/request", body: #"{"agent_id": "a", "intent": "b", "context": {"purpose": "c"}}"#).problem(503)
            let health = try await server.request("GET", "/health").json()
            #expect(health["components"]?["broker"]?["status"] == "unconfigured")
        }
    }
}
