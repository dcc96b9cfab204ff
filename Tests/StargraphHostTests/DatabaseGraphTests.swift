import Foundation
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphPlugins
@testable import StargraphScheduler

/// A graph id nobody registers, but that an earlier run stored in this database, runs from its
/// stored source with `origin: database`; a pinned `graph_hash` must match; `cleared` runs such
/// graphs only when the manifest says `database_graphs: true`.
@Suite("Serve: graphs found through the database")
struct DatabaseGraphTests {
    static let storedGraph = """
        ir_version: "1.0.0"
        id: "db:only"
        nodes:
          - {id: say, kind: template, config: {template: "stored {{message}}", output: said}}
        state_schema: {message: str, said: str}
        """

    @Test("listed, shown, pinned and run with origin database")
    func storedGraphRuns() async throws {
        try await ServeTestHarness.with { server in
            let runtime = server.server.runtime
            let first = try await runtime.engine.start(try runtime.compiler.compile(text: Self.storedGraph, sourceName: "elsewhere.yaml"), inputs: ["message": "a"])
            let graphs = try await server.request("GET", "/v1/graphs").json()
            let listed = try #require(graphs["items"]?.arrayValue?.first { $0["id"] == "db:only" })
            #expect(listed["origin"] == "database" && listed["graph_hash"]?.stringValue == first.graphHash)
            #expect(try await server.request("GET", "/v1/graphs/db:only").json()["origin"] == "database")

            let wrong = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "db:only", "graph_hash": "sha256:00", "params": {"message": "b"}}"#)
            let problem = try wrong.problem(409, "graph-hash-mismatch")
            #expect(problem["graph_hash"]?.stringValue == first.graphHash, "the problem names the hash the server has")

            let body = #"{"graph_id": "db:only", "graph_hash": "\#(first.graphHash)", "params": {"message": "b"}}"#
            let posted = try await server.request("POST", "/v1/runs", body: body)
            #expect(posted.status == 202)
            let accepted = try posted.json()
            #expect(accepted["origin"] == "database" && accepted["graph_hash"]?.stringValue == first.graphHash)
            let run = try await server.waitForRun(try #require(accepted["run_id"]?.stringValue))
            #expect(run["status"] == "done" && run["state"]?["said"] == "stored b")
            #expect(run["graph_origin"] == "database")
            #expect(try await server.request("POST", "/v1/runs", body: #"{"graph_id": "db:never"}"#).status == 404)
        }
    }

    @Test("a host that does not run stored graphs says why, and lists none")
    func refusedWithoutOptIn() async throws {
        try await ServeTestHarness.with { server in
            let runtime = server.server.runtime
            _ = try await runtime.engine.start(try runtime.compiler.compile(text: Self.storedGraph, sourceName: "elsewhere.yaml"), inputs: ["message": "a"])
            let strict = RunScheduler(
                runtime: runtime.scheduling, graphs: runtime.graphs, workers: 1, triggers: [], allowsStoredGraphs: false, logger: Logger(label: "test"))
            let error = await #expect(throws: SchedulerError.self) { try await strict.submit(RunRequest(graphId: "db:only", params: ["message": "b"])) }
            #expect(error?.description.contains("database_graphs: true") == true, "\(String(describing: error))")
            #expect(try await strict.resolver.databaseEntries().isEmpty)
        }
    }

    @Test("database_graphs is a manifest flag, true or false")
    func manifestFlag() throws {
        #expect(try Manifest.load(path: try PluginFixtures.manifest("database_graphs: true\n")).databaseGraphs)
        #expect(try !Manifest.load(path: try PluginFixtures.manifest("plugins: []\n")).databaseGraphs)
        let error = #expect(throws: GraphLoadErrors.self) { try Manifest.load(path: try PluginFixtures.manifest("plugins: []\ndatabase_graphs: 3\n")) }
        #expect(error?.description.contains(":2:18: ") == true && error?.description.contains("true or false") == true, "\(String(describing: error))")
    }
}
