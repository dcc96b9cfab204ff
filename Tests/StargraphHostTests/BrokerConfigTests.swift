import Foundation
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphEngine
@testable import StargraphBroker
@testable import StargraphServe

@Suite("Broker config")
struct BrokerConfigTests {
    /// Writes `text` as a nautilus config in a fresh folder and returns its path.
    private func write(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("nautilus.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func bootError(config: String) async throws -> String {
        let folder = URL(fileURLWithPath: config).deletingLastPathComponent()
        var options = ServeOptions()
        options.port = 0
        options.database = folder.appendingPathComponent("db.sqlite").path
        options.brokerConfigPath = config
        options.manifestPath = folder.appendingPathComponent("manifest.yaml").path
        try "plugins: []\n".write(toFile: options.manifestPath!, atomically: true, encoding: .utf8)
        let error = await #expect(throws: BrokerConfigurationError.self) { try await StargraphServer(options: options) }
        return error?.description ?? ""
    }

    static let valid = """
        version: 1
        clearance_levels: [public, internal]
        sources:
          - id: notes
            type: static
            classification: public
            data_types: [note]
            allowed_purposes: [support]
            rows: [{a: 1}]
        agents:
          - id: bot
            clearance: internal
            allowed_purposes: [support]
        """

    @Test("the example config decodes: sources, agents, levels, intent map, resolved paths")
    func exampleDecodes() throws {
        let (folder, config) = try BrokerFixture.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policy = try #require(try BrokerConfiguration.detect(flagPath: config, manifestPath: nil, logger: Logger(label: "test")).policy)
        #expect(policy.clearanceLevels == ["public", "internal", "confidential"])
        #expect(policy.sources.map(\.typeName) == ["static", "sqlite", "static"])
        #expect(policy.agents.map(\.id) == ["support-bot", "kiosk"])
        #expect(policy.intentMap.map(\.glob) == ["*incident*", "*outage*", "*product*", "*status*"])
        #expect(policy.auditPath == folder.appendingPathComponent("broker/audit/broker.jsonl").standardizedFileURL.path)
        guard case .sqlite(let database, .query(let query)) = policy.sources[1].kind else {
            Issue.record("incident-db is not a sqlite query source")
            return
        }
        #expect(database.hasSuffix("/broker/incidents.sqlite"))
        #expect(query.contains(":agent_id"))
    }

    @Test("three different mistakes stop boot, each named with its file and line")
    func badConfigsStopBoot() async throws {
        let unknownKey = try write(Self.valid.replacingOccurrences(of: "    rows: [{a: 1}]", with: "    rows: [{a: 1}]\n    colour: red"))
        #expect(try await bootError(config: unknownKey).contains("\(unknownKey):10:5: unknown key 'colour' in a static source"))

        let badLevel = try write(Self.valid.replacingOccurrences(of: "clearance: internal", with: "clearance: secret"))
        #expect(try await bootError(config: badLevel).contains("\(badLevel):12:16: clearance 'secret' is not one of clearance_levels (public, internal)"))

        let farHost = try write(Self.valid.replacingOccurrences(of: "agents:", with: """
              - id: remote
                type: rest
                classification: public
                data_types: [note]
                allowed_purposes: [support]
                connection: https://data.example.com
                path: /rows
            agents:
            """))
        let description = try await bootError(config: farHost)
        #expect(description.contains("\(farHost):15:17: host 'data.example.com' is neither loopback nor in allowed_hosts"), "\(description)")
    }

    @Test("more mistakes are reported at once, at their own positions")
    func manyMistakes() async throws {
        let config = try write("""
            version: 2
            clearance_levels: [public, public]
            sources:
              - id: db
                type: sqlite
                classification: public
                data_types: [x]
                allowed_purposes: []
                connection: db.sqlite
                table: t
                query: "SELECT 1"
                timeout_s: -1
              - id: q
                type: sqlite
                classification: public
                data_types: [x]
                allowed_purposes: []
                connection: db.sqlite
                query: "DELETE FROM t"
              - id: p
                type: sqlite
                classification: public
                data_types: [x]
                allowed_purposes: []
                connection: db.sqlite
                query: "SELECT * FROM t WHERE a = :secret"
            routing:
              intent_map:
                "*": [y]
            """)
        let error = #expect(throws: BrokerConfigurationError.self) { try BrokerConfiguration.detect(flagPath: config, manifestPath: nil, logger: Logger(label: "test")) }
        let text = error?.description ?? ""
        for expected in [
            ":1:10: unsupported version '2'", ":2:19: clearance level 'public' is listed twice",
            ":10:12: a sqlite source takes either 'table' or 'query', not both", ":12:16: timeout_s must be a number from",
            ":19:12: query must be one SELECT statement", ":26:12: query uses parameter(s) :secret", ":29:10: data type 'y' is served by no source",
        ] {
            #expect(text.contains(expected), "missing \(expected) in:\n\(text)")
        }
    }

    @Test("a good config boots: /health reports the broker ok and a signing key is generated 0600")
    func goodConfigBoots() async throws {
        try await BrokerFixture.withServer { server in
            let health = try await server.request("GET", "/health").json()
            #expect(health["components"]?["broker"]?["status"] == "ok")
            #expect(health["components"]?["broker"]?["detail"]?.stringValue?.hasSuffix("3 source(s)") == true)
            let key = server.folder.appendingPathComponent("broker/keys/broker-ed25519.key").path
            let permissions = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
        }
    }

    @Test("a broker node's config is checked when a broker runs")
    func nodeConfigChecked() throws {
        let (folder, config) = try BrokerFixture.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let policy = try #require(try BrokerConfiguration.detect(flagPath: config, manifestPath: nil, logger: Logger(label: "test")).policy)
        let configuration = try BrokerConfiguration.detect(flagPath: config, manifestPath: nil, logger: Logger(label: "test"))
        let kind = BrokerNodeKind(configuration: configuration, broker: try Broker(policy: policy, logger: Logger(label: "test")))
        let schema = StateSchema(fields: [
            FieldSpec(name: "agent", type: .str), FieldSpec(name: "question", type: .str), FieldSpec(name: "answer", type: .str),
        ])
        let spec = NodeSpec(id: "ask", kind: "broker", config: [
            "agent_id_field": "agent", "intent_field": "question", "purpose": "support", "output_field": "answer",
        ])
        let error = #expect(throws: NodeConfigError.self) { try kind.makeNode(spec, schema: schema) }
        #expect(error?.message == "config 'output_field' must name a dict field")
    }
}
