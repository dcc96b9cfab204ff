import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphBroker
@testable import StargraphServe

/// The `/v1` routes and the system routes against a real server.
@Suite("Serve: routes")
struct ServeRoutesTests {
    @Test("POST /v1/runs really executes the graph; GET reads summary, steps and pages")
    func submitAndRead() async throws {
        try await ServeTestHarness.with { server in
            let posted = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "hello"}}"#)
            #expect(posted.status == 202)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            #expect(posted.headers["location"] == "/v1/runs/\(runId)")
            let summary = try await server.waitForRun(runId)
            #expect(summary["status"]?.stringValue == "done")
            #expect(summary["state"]?["greeting"]?.stringValue == "hello, stargraph!")
            #expect(summary["graph_id"]?.stringValue == "run:hello-stargraph")

            let steps = try await server.request("GET", "/v1/runs/\(runId)/steps").json()
            #expect(steps["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue } == ["greet", "done"])

            _ = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "b"}}"#)
            let page = try await server.request("GET", "/v1/runs?graph_id=run:hello-stargraph&limit=1&offset=1").json()
            #expect(page["total"]?.intValue == 2)
            #expect(page["limit"]?.intValue == 1)
            #expect(page["items"]?.arrayValue?.first?["run_id"]?.stringValue == runId, "offset 1 skips the newer run")
            #expect(page["next_cursor"] == .null, "the older run is the last")
            let none = try await server.request("GET", "/v1/runs?graph_id=graph:other").json()
            #expect(none["total"]?.intValue == 0)
        }
    }

    @Test("a run written by another runtime on the same database is visible")
    func runsOfOtherProcesses() async throws {
        try await ServeTestHarness.with { server in
            var options = StargraphRuntime.Options()
            options.database = server.folder.appendingPathComponent("serve.sqlite").path
            let other = try await StargraphRuntime.open(options)
            let run = try await other.run(graphPath: server.folder.appendingPathComponent("hello.yaml").path, inputs: ["message=cli"])
            try await other.store.close()
            let summary = try await server.request("GET", "/v1/runs/\(run.runId)").json()
            #expect(summary["status"]?.stringValue == "done")
            #expect(summary["state"]?["greeting"]?.stringValue == "cli, stargraph!")
        }
    }

    @Test("respond answers a run awaiting input; it then finishes")
    func respond() async throws {
        try await ServeTestHarness.with { server in
            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "graph:hitl", "params": {"message": "hi"}}"#)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            _ = try await server.waitForRun(runId, until: ["awaiting_input"])
            try await server.request("POST", "/v1/runs/\(runId)/respond", body: #"{"reply": 5}"#).problem(422)
            let answered = try await server.request("POST", "/v1/runs/\(runId)/respond", body: #"{"reply": "blue"}"#)
            #expect([200, 202].contains(answered.status))
            let summary = try await server.waitForRun(runId)
            #expect(summary["status"]?.stringValue == "done")
            #expect(summary["state"]?["reply"]?.stringValue == "blue")
        }
    }

    @Test("graphs, plugins, health and metrics")
    func systemRoutes() async throws {
        try await ServeTestHarness.with { server in
            let graphs = try await server.request("GET", "/v1/graphs").json()
            #expect(graphs["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["graph:hitl", "graph:uses-broker", "run:hello-stargraph"])
            let graph = try await server.request("GET", "/v1/graphs/run%3Ahello-stargraph").json()
            #expect(graph["state_schema"]?["message"]?["type"]?.stringValue == "str")
            #expect(graph["source"]?.stringValue?.contains("greet-then-halt") == true)

            let plugins = try await server.request("GET", "/v1/plugins").json()
            #expect(plugins["node_kinds"]?.arrayValue?.contains { $0["name"]?.stringValue == "broker" } == true)

            let health = try await server.request("GET", "/health")
            #expect(health.status == 200)
            let components = try health.json()["components"]
            #expect(components?["store"]?["status"]?.stringValue == "ok")
            #expect(components?["scheduler"]?["status"]?.stringValue == "ok")
            #expect(components?["broker"]?["status"]?.stringValue == "unconfigured")

            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "m"}}"#)
            _ = try await server.waitForRun(try #require(try posted.json()["run_id"]?.stringValue))
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = String(decoding: metrics.body, as: UTF8.self)
            // The engine's and the store's instruments exist before metrics are bootstrapped
            // unless serve bootstraps first: they would then stay no-ops.
            for name in ["stargraph_runs_total", "stargraph_step_duration_seconds", "stargraph_store_commits_total", "stargraph_store_writes_total"] {
                #expect(text.contains(name), "\(name) missing from /metrics")
            }
        }
    }

    @Test("without a nautilus config a broker node fails its run with BrokerUnconfigured")
    func brokerSoftFail() async throws {
        try await ServeTestHarness.with { server in
            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "graph:uses-broker"}"#)
            let summary = try await server.waitForRun(try #require(try posted.json()["run_id"]?.stringValue))
            #expect(summary["status"]?.stringValue == "failed")
            #expect(summary["error_class"]?.stringValue == "BrokerUnconfigured")
            #expect(summary["error_cause"]?.stringValue?.contains("nautilus") == true)
        }
    }

    @Test("a nautilus config that does not parse stops boot naming file, line and column")
    func brokerInvalidConfig() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("nautilus.yaml").path
        try "sources:\n  - id: a\n   bad: [unclosed\n".write(toFile: config, atomically: true, encoding: .utf8)
        var options = ServeOptions()
        options.port = 0
        options.database = folder.appendingPathComponent("db.sqlite").path
        options.brokerConfigPath = config
        let error = await #expect(throws: BrokerConfigurationError.self) { try await StargraphServer(options: options) }
        #expect(error?.description.contains("\(config):3:") == true)
    }
}
