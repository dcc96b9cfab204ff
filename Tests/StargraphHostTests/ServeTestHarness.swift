import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphServe

/// A real server (``StargraphServer``) in a temp folder on an ephemeral port, with the example
/// graphs registered, and a small HTTP client for it. Call ``stop()`` at the end of a test.
final class ServeTestHarness: Sendable {
    static let helloGraph = """
        ir_version: "1.0.0"
        id: "run:hello-stargraph"
        nodes:
          - id: greet
            kind: template
            config:
              template: "{{message}}, stargraph!"
              output: greeting
          - id: done
            kind: halt
        state_schema:
          message: str
          greeting: str
        rules:
          - id: greet-then-halt
            when: {node: greet}
            then:
              - kind: goto
                target: done
        """

    /// The scheduler tests' interrupt-then-goto graph, under the id the serve tests use.
    static let hitlGraph = SchedulerHarness.hitlGraph.replacingOccurrences(of: "test:hitl", with: "graph:hitl")

    static let brokerGraph = """
        ir_version: "1.0.0"
        id: "graph:uses-broker"
        nodes:
          - id: ask
            kind: broker
        state_schema:
          message: str
        """

    let folder: URL
    let server: StargraphServer
    let base: String
    private let serving: Task<Void, any Error>

    private init(folder: URL, server: StargraphServer, base: String, serving: Task<Void, any Error>) {
        self.folder = folder
        self.server = server
        self.base = base
        self.serving = serving
    }

    /// Writes the test graphs, boots a server on port 0 with them (`configure` may change the
    /// options), and waits until it listens.
    static func start(configure: (inout ServeOptions, URL) throws -> Void = { _, _ in }) async throws -> ServeTestHarness {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var options = ServeOptions()
        options.port = 0
        options.database = folder.appendingPathComponent("serve.sqlite").path
        options.brokerConfigPath = folder.appendingPathComponent("config/nautilus.yaml").path
        // An empty manifest, so the package's manifests/default.yaml (the test's cwd) stays out.
        options.manifestPath = folder.appendingPathComponent("manifest.yaml").path
        try "plugins: []\n".write(toFile: options.manifestPath!, atomically: true, encoding: .utf8)
        options.graphPaths = try [("hello.yaml", helloGraph), ("hitl.yaml", hitlGraph), ("broker.yaml", brokerGraph)].map { name, text in
            let path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        try configure(&options, folder)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await StargraphServer(options: options) { _, port in
            continuation.yield(port)
            continuation.finish()
        }
        let serving = Task { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the server never started listening") }
        return ServeTestHarness(folder: folder, server: server, base: "http://127.0.0.1:\(port)", serving: serving)
    }

    /// Runs `body` against a fresh server, stopping it afterwards whatever happens.
    static func with(
        configure: (inout ServeOptions, URL) throws -> Void = { _, _ in }, _ body: (ServeTestHarness) async throws -> Void
    ) async throws {
        let server = try await start(configure: configure)
        do {
            try await body(server)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    /// Shuts the server down gracefully and waits for ``StargraphServer/run()`` to return.
    func stop() async throws {
        await server.shutdown()
        try await serving.value
        try? FileManager.default.removeItem(at: folder)
    }

    /// Sends one request; a `body` without a `Content-Type` header is sent as JSON.
    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        try await request(method, path, bytes: body.map { Data($0.utf8) }, headers: headers)
    }

    func request(_ method: String, _ path: String, bytes: Data?, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = bytes
        if bytes != nil, headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw HarnessError("not an HTTP response") }
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    /// Polls `GET /v1/runs/{id}` until the run is terminal (or awaits input), for at most 10 s.
    func waitForRun(_ runId: String, until statuses: Set<String> = ["done", "failed", "cancelled"]) async throws -> JSONValue {
        for _ in 0..<400 {
            let summary = try await request("GET", "/v1/runs/\(runId)").json()
            if let status = summary["status"]?.stringValue, statuses.contains(status) { return summary }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw HarnessError("run \(runId) did not reach \(statuses.sorted()) within 10 s")
    }

    /// One HTTP answer.
    struct Reply: Sendable {
        let status: Int
        /// Header names lower-cased.
        let headers: [String: String]
        let body: Data

        func json() throws -> JSONValue { try JSONParser.parse(bytes: Array(body)) }

        /// Checks that this is an RFC 9457 problem for `status` of a Stargraph problem type (the
        /// one named `slug` when given) and returns it.
        @discardableResult
        func problem(_ status: Int, _ slug: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
            #expect(self.status == status, "status", sourceLocation: sourceLocation)
            #expect(headers["content-type"] == "application/problem+json", "content type", sourceLocation: sourceLocation)
            let document = try json()
            #expect(document["status"]?.intValue == status, "problem status member", sourceLocation: sourceLocation)
            #expect(document["title"]?.stringValue?.isEmpty == false, "problem title", sourceLocation: sourceLocation)
            #expect(document["detail"]?.stringValue?.isEmpty == false, "problem detail", sourceLocation: sourceLocation)
            let type = document["type"]?.stringValue ?? ""
            #expect(type.hasPrefix(ProblemType.prefix), "problem type \(type)", sourceLocation: sourceLocation)
            if let slug { #expect(type == ProblemType.prefix + slug, "problem type", sourceLocation: sourceLocation) }
            return document
        }
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
