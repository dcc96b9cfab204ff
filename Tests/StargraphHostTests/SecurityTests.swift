import Foundation
import Hummingbird
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphServe

@Suite("Security: keys, profiles, capabilities")
struct SecurityTests {
    static let secret = "s3cret-key"
    static var secretHash: String { ContentHash.sha256Hex(Array(secret.utf8)) }

    @Test func keyFileParsesYAMLAndJSONAndMatchesBySecret() throws {
        let yaml = """
        - id: ci
          key_sha256: \(Self.secretHash.uppercased())
          capabilities: [runs:start, runs:read]
        """
        let store = try APIKeyStore.parse(yaml, sourceName: "keys.yaml")
        #expect(store.key(forSecret: Self.secret)?.id == "ci")
        #expect(store.key(forSecret: Self.secret)?.capabilities == ["runs:start", "runs:read"])
        #expect(store.key(forSecret: "other") == nil)

        let json = #"[{"id": "bot", "key_sha256": "\#(Self.secretHash)", "capabilities": ["metrics:read"]}]"#
        #expect(try APIKeyStore.parse(json, sourceName: "keys.json").key(forSecret: Self.secret)?.id == "bot")
    }

    @Test func keyFileFromDiskUsesSha256sumHashes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("keys.yaml").path
        // printf %s s3cret-key | sha256sum
        try "- {id: ops, key_sha256: \(Self.secretHash), capabilities: [runs:read]}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try APIKeyStore.load(path: path).keys.map(\.id) == ["ops"])
        #expect(throws: APIKeyFileError.self) { try APIKeyStore.load(path: folder.appendingPathComponent("missing.yaml").path) }
    }

    @Test(arguments: [
        ("- {id: a, key_sha256: abc, capabilities: []}", "64 hex digits"),
        ("- {id: a, key_sha256: \(String(repeating: "a", count: 64)), capabilities: [runs:fly]}", "unknown capabilities runs:fly"),
        ("- {id: anonymous, key_sha256: \(String(repeating: "a", count: 64)), capabilities: []}", "reserved"),
        ("- {id: a, key_sha256: \(String(repeating: "a", count: 64)), capabilities: []}\n- {id: a, key_sha256: \(String(repeating: "b", count: 64)), capabilities: []}", "used twice"),
        ("- {id: a, key_sha256: \(String(repeating: "a", count: 64)), capabilities: [], secret: x}", "unknown key 'secret'"),
        ("- {id: a, key_sha256: \(String(repeating: "a", count: 64))}", "'capabilities' is required"),
        ("{id: a}", "must be a list"),
    ])
    func keyFileErrorsNameTheProblem(text: String, expected: String) {
        do {
            _ = try APIKeyStore.parse(text, sourceName: "keys.yaml")
            Issue.record("expected an error containing \(expected)")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.hasPrefix("keys.yaml"))
        }
    }

    @Test func keyFileErrorsCarryLineAndColumn() {
        let text = "- id: a\n  key_sha256: \(String(repeating: "a", count: 64))\n  capabilities: [runs:read]\n  extra: 1\n"
        #expect(throws: APIKeyFileError.self) { try APIKeyStore.parse(text, sourceName: "k.yaml") }
        do { _ = try APIKeyStore.parse(text, sourceName: "k.yaml") } catch {
            #expect(error.line == 4 && error.column == 3)
            #expect(error.description.hasPrefix("k.yaml:4:3:"))
        }
    }

    @Test func routeTableCoversTheCapabilities() {
        #expect(RouteCapabilities.capability(method: .post, path: "/v1/runs") == "runs:start")
        #expect(RouteCapabilities.capability(method: .get, path: "/v1/runs?limit=5") == "runs:read")
        #expect(RouteCapabilities.capability(method: .get, path: "/v1/runs/r-1/stream") == "runs:read")
        #expect(RouteCapabilities.capability(method: .post, path: "/v1/runs/r-1/respond") == "runs:respond")
        #expect(RouteCapabilities.capability(method: .post, path: "/v1/runs/r-1/counterfactual") == "counterfactual:run")
        #expect(RouteCapabilities.capability(method: .head, path: "/v1/artifacts/sha256:ab") == "artifacts:read")
        #expect(RouteCapabilities.capability(method: .get, path: "/metrics") == "metrics:read")
        #expect(RouteCapabilities.capability(method: .post, path: "/v1/broker/request") == "tools:broker_request")
        #expect(RouteCapabilities.capability(method: .get, path: "/health") == nil)
        #expect(RouteCapabilities.capability(method: .delete, path: "/v1/runs") == nil)
        #expect(RouteCapabilities.requiresAuthentication(path: "/v1/nowhere"))
        #expect(RouteCapabilities.requiresAuthentication(path: "/metrics"))
        #expect(!RouteCapabilities.requiresAuthentication(path: "/health"))
        #expect(!RouteCapabilities.requiresAuthentication(path: "/v1x"))
        let used = Set(RouteCapabilities.routes.map(\.capability))
        #expect(used == Set(RouteCapabilities.allCapabilities))
    }

    @Test func clearedProfileListsEveryUnmetRequirement() throws {
        let plugins = [ServeProfile.PluginEntry(name: "text", sha256: nil), .init(name: "math", sha256: "ab12")]
        #expect(throws: Never.self) { try ServeProfile.ossDefault.validate(auditLogPath: nil, auditSigningKeyPath: nil, apiKeys: nil, plugins: plugins) }
        do {
            try ServeProfile.cleared.validate(auditLogPath: nil, auditSigningKeyPath: nil, apiKeys: nil, plugins: plugins)
            Issue.record("cleared must refuse")
        } catch {
            #expect(error.problems == [.auditLogMissing, .auditSigningKeyMissing, .apiKeysMissing, .unpinnedPlugins(["text"])])
            #expect(error.description.contains("--audit-signing-key"))
            #expect(error.description.contains("--audit-log"))
            #expect(error.description.contains("sha256"))
        }
        let empty = try APIKeyStore(keys: [])
        do {
            try ServeProfile.cleared.validate(auditLogPath: "a.jsonl", auditSigningKeyPath: "audit.key", apiKeys: empty, plugins: [])
            Issue.record("an empty key file must be refused in cleared")
        } catch {
            #expect(error.problems == [.apiKeysEmpty])
        }
        do {
            try ServeProfile.cleared.validate(auditLogPath: "/no-such-folder-\(UUID().uuidString)/audit.jsonl", auditSigningKeyPath: "audit.key", apiKeys: empty, plugins: [])
            Issue.record("an audit log in a missing folder must be refused in cleared")
        } catch {
            #expect(error.problems.first.map { "\($0)" }?.contains("does not exist") == true)
            #expect(error.problems.count == 2)
        }
        let keys = try APIKeyStore(keys: [APIKey(id: "k", keySHA256: Self.secretHash, capabilities: [])])
        #expect(throws: Never.self) {
            try ServeProfile.cleared.validate(auditLogPath: "audit.jsonl", auditSigningKeyPath: "audit.key", apiKeys: keys, plugins: [.init(name: "m", sha256: "ab")])
        }
    }
}

@Suite("Security: middleware over a real server")
struct SecurityMiddlewareTests {
    typealias Context = StargraphRequestContext

    /// A router with `AuthMiddleware` and a handler for every route of the table, answering
    /// 200 with the principal's id.
    static func router(profile: ServeProfile, keys: APIKeyStore?) -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: AuthMiddleware(profile: profile, keys: keys))
        for route in RouteCapabilities.routes {
            let path = route.path.replacingOccurrences(of: "{id}", with: ":id")
            router.on(RouterPath(path), method: route.method) { _, context in
                Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: context.principal?.id ?? "none")))
            }
        }
        router.get("health") { _, context in context.principal?.id ?? "none" }
        return router
    }

    static func concretePath(_ template: String) -> String {
        template.replacingOccurrences(of: "{id}", with: "x1")
    }

    static func keys(_ entries: [(String, String, Set<String>)]) throws -> APIKeyStore {
        try APIKeyStore(keys: entries.map { APIKey(id: $0.0, keySHA256: ContentHash.sha256Hex(Array($0.1.utf8)), capabilities: $0.2) })
    }

    @Test func clearedEveryRouteAnswers401WithoutKeyAnd403WithoutCapability() async throws {
        var entries: [(String, String, Set<String>)] = []
        for (index, capability) in RouteCapabilities.allCapabilities.enumerated() {
            entries.append(("only-\(index)", "only-secret-\(index)", [capability]))
            entries.append(("all-but-\(index)", "all-but-secret-\(index)", Set(RouteCapabilities.allCapabilities).subtracting([capability])))
        }
        let server = try await TestServer.start(router: Self.router(profile: .cleared, keys: try Self.keys(entries)))
        defer { Task { await server.stop() } }
        for route in RouteCapabilities.routes {
            let path = Self.concretePath(route.path)
            let index = RouteCapabilities.allCapabilities.firstIndex(of: route.capability)!

            let anonymous = try await httpRequest(port: server.port, route.method.rawValue, path)
            #expect(anonymous.status == 401, "\(route) without a key")
            #expect(anonymous.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(route)")
            #expect(anonymous.header("Content-Type") == "application/problem+json", "\(route)")
            #expect(anonymous.json?["status"] == 401, "\(route)")

            let unknown = try await httpRequest(port: server.port, route.method.rawValue, path, headers: ["Authorization": "Bearer nope"])
            #expect(unknown.status == 401, "\(route) with an unknown key")

            let lacking = try await httpRequest(
                port: server.port, route.method.rawValue, path, headers: ["Authorization": "Bearer all-but-secret-\(index)"])
            #expect(lacking.status == 403, "\(route) with a key lacking \(route.capability)")
            #expect(lacking.header("Content-Type") == "application/problem+json")
            #expect(lacking.json?["detail"]?.stringValue?.contains(route.capability) == true, "\(route)")

            let allowed = try await httpRequest(
                port: server.port, route.method.rawValue, path, headers: ["X-Api-Key": "only-secret-\(index)"])
            #expect(allowed.status == 200, "\(route) with a key holding \(route.capability)")
            #expect(allowed.text == "only-\(index)")
        }
        #expect(try await httpRequest(port: server.port, "GET", "/v1/not-a-route").status == 401)
        let health = try await httpRequest(port: server.port, "GET", "/health")
        #expect(health.status == 200)
    }

    @Test func ossDefaultLetsAnonymousInAndStillNamesKeyHolders() async throws {
        let keys = try Self.keys([("reader", "reader-secret", ["runs:read"])])
        let server = try await TestServer.start(router: Self.router(profile: .ossDefault, keys: keys))
        defer { Task { await server.stop() } }
        let anonymous = try await httpRequest(port: server.port, "POST", "/v1/runs")
        #expect(anonymous.status == 200)
        #expect(anonymous.text == "anonymous")
        // A valid key names the caller, and oss-default does not restrict its capabilities.
        let named = try await httpRequest(port: server.port, "POST", "/v1/runs", headers: ["Authorization": "bearer reader-secret"])
        #expect(named.status == 200)
        #expect(named.text == "reader")
        let metrics = try await httpRequest(port: server.port, "GET", "/metrics")
        #expect(metrics.status == 200)
    }
}
