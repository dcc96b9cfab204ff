import Foundation
import GRDB
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphAudit
@testable import StargraphBroker

/// Hostile `intent` and `context` values change nothing but the denial or validation outcome:
/// the sqlite source only ever runs its configured query with bound parameters.
@Suite("Broker routing and injection")
struct BrokerInjectionTests {
    /// A broker on the example config in a temp folder, and that folder.
    private func exampleBroker() throws -> (broker: Broker, folder: URL) {
        let (folder, config) = try BrokerFixture.folder()
        let policy = try #require(try BrokerConfiguration.detect(flagPath: config, manifestPath: nil, logger: Logger(label: "test")).policy)
        return (try Broker(policy: policy, logger: Logger(label: "test")), folder)
    }

    private func ask(_ broker: Broker, _ body: JSONValue) async throws -> BrokerResponse {
        try await broker.handle(json: body, requestId: "breq-test", origin: "test")
    }

    private func request(agent: String = "support-bot", intent: String, purpose: String = "support", dataTypes: JSONValue? = nil) -> JSONValue {
        var context: [String: JSONValue] = ["purpose": .string(purpose)]
        if let dataTypes { context["data_types"] = dataTypes }
        return ["agent_id": .string(agent), "intent": .string(intent), "context": .object(context)]
    }

    @Test("SQL fragments and path segments in the intent return exactly the baseline rows, and the table survives")
    func hostileIntents() async throws {
        let (broker, folder) = try exampleBroker()
        defer { try? FileManager.default.removeItem(at: folder) }
        let baseline = try await ask(broker, request(intent: "open incidents"))
        #expect(baseline.data["incident-db"]?.count == 2)
        for intent in [
            "incident'; DROP TABLE incidents; --", "incident\" OR 1=1 --", "incident) UNION SELECT name, sql, type FROM sqlite_master --",
            "../../../etc/passwd incident", "incident/../../nautilus.yaml", "incident %00 ; ATTACH DATABASE '/tmp/x' AS x",
        ] {
            let response = try await ask(broker, request(intent: intent))
            #expect(response.data == baseline.data, "intent \(intent) changed the rows")
            #expect(response.sourcesQueried == ["incident-db"])
        }
        let database = try DatabaseQueue(path: folder.appendingPathComponent("broker/incidents.sqlite").path)
        let count = try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM incidents") }
        #expect(count == 4)
        try database.close()
    }

    @Test("hostile agent ids, purposes and data types only ever lead to denials or skips")
    func hostileContext() async throws {
        let (broker, folder) = try exampleBroker()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sneaky = try await ask(broker, request(agent: "support-bot' OR '1'='1", intent: "open incidents"))
        #expect(sneaky.data.isEmpty)
        #expect(sneaky.denialRecords.map(\.rule) == ["unknown-agent"])

        let purpose = try await ask(broker, request(intent: "open incidents", purpose: "support' OR purpose IS NOT NULL --"))
        #expect(purpose.data.isEmpty)
        #expect(purpose.denialRecords.map(\.rule) == ["agent-purpose"])

        let types = try await ask(broker, request(intent: "open incidents", dataTypes: ["incident; DROP TABLE incidents", "../incident", "*"]))
        #expect(types.data.isEmpty)
        #expect(types.sourcesSkipped == ["product-catalog", "incident-db", "hr-records"])

        let clearance = try await ask(broker, ["agent_id": "kiosk", "intent": "open incidents", "context": ["purpose": "support", "clearance": "confidential"]])
        #expect(clearance.denialRecords.map(\.rule) == ["clearance"], "a clearance in the context is never trusted")
    }

    @Test("huge or malformed values are refused with a validation error, and the refusal is audited")
    func validation() async throws {
        let (broker, folder) = try exampleBroker()
        defer { try? FileManager.default.removeItem(at: folder) }
        let huge = String(repeating: "incident ", count: 2000)
        for body: JSONValue in [
            request(intent: huge), request(agent: String(repeating: "a", count: 300), intent: "x"),
            request(intent: "x", purpose: String(repeating: "p", count: 300)), request(intent: "incident\u{0}"),
            request(intent: "x", dataTypes: .array(Array(repeating: "incident", count: 65))),
            ["agent_id": "support-bot", "intent": "x", "context": ["purpose": "support"], "sql": "DROP TABLE incidents"],
            ["agent_id": "support-bot", "intent": 7, "context": ["purpose": "support"]],
        ] {
            await #expect(throws: BrokerRequestError.self) { try await ask(broker, body) }
        }
        let audit = broker.policy.auditPath
        #expect(try AuditVerifier.verify(path: audit) == .intact(records: 7))
        let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
        #expect(lines.allSatisfy { $0.contains("\"event\":\"broker_request_invalid\"") })
        #expect(lines.allSatisfy { $0.count < 1000 }, "the audit log never copies huge values")
    }

    @Test("huge strings through HTTP are a 422, not a crash or a query")
    func hugeOverHTTP() async throws {
        try await BrokerFixture.withServer { server in
            let huge = String(repeating: "x", count: 100_000)
            let body = CanonicalJSON.encode(["agent_id": "support-bot", "intent": .string(huge), "context": ["purpose": "support"]])
            let problem = try await server.request("POST", "/v1/broker/request", body: body).problem(422)
            #expect(problem["detail"]?.stringValue?.contains("intent is 100000 characters long") == true)
        }
    }

    @Test("routing: intent globs, explicit data types, agent and source purposes")
    func routing() async throws {
        #expect(BrokerRoutingDecision.glob("*incident*", matches: "Open INCIDENTS today"))
        #expect(BrokerRoutingDecision.glob("status?", matches: "status!"))
        #expect(!BrokerRoutingDecision.glob("*outage", matches: "outage report"))
        let (broker, folder) = try exampleBroker()
        defer { try? FileManager.default.removeItem(at: folder) }
        let research = try await ask(broker, request(intent: "product and incident status", purpose: "research"))
        #expect(research.sourcesQueried == ["product-catalog"])
        #expect(research.denialRecords.map(\.rule) == ["source-purpose"])
        let explicit = try await ask(broker, request(intent: "anything", dataTypes: ["personnel"]))
        #expect(explicit.denialRecords.map(\.rule) == ["clearance"])
        let nothing = try await ask(broker, request(intent: "weather"))
        #expect(nothing.sourcesSkipped.count == 3)
        #expect(nothing.ruleTrace.first == "no intent_map glob matches the intent; no data types requested")
    }
}
