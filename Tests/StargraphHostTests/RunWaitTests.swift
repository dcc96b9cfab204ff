import Foundation
import Testing
@testable import StargraphHost

/// `POST /v1/runs/wait` creates a run and answers once it stops moving, or with 202 and a
/// `Location` when the timeout passes first.
@Suite("Serve: create and wait")
struct RunWaitTests {
    static let slowGraph = """
        ir_version: "1.0.0"
        id: "test:slow-wait"
        nodes:
          - {id: wait, kind: delay, config: {ms: 2000}}
        state_schema: {message: str}
        """

    @Test("done, awaiting input with its prompt, and a timeout that answers 202 with Location")
    func waits() async throws {
        try await ServeTestHarness.with(configure: { options, folder in
            let path = folder.appendingPathComponent("slow.yaml").path
            try Self.slowGraph.write(toFile: path, atomically: true, encoding: .utf8)
            options.graphPaths.append(path)
        }) { server in
            let done = try await server.request("POST", "/v1/runs/wait", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "hi"}}"#)
            #expect(done.status == 200)
            let summary = try done.json()
            #expect(summary["status"] == "done" && summary["state"]?["greeting"] == "hi, stargraph!")
            #expect(done.headers["location"] == "/v1/runs/\(summary["run_id"]?.stringValue ?? "")")

            let asked = try await server.request("POST", "/v1/runs/wait", body: #"{"graph_id": "graph:hitl", "params": {"message": "m"}}"#)
            #expect(asked.status == 200)
            let waiting = try asked.json()
            #expect(waiting["status"] == "awaiting_input")
            #expect(waiting["interrupt"]?["prompt"] == "What should I reply?")

            let slow = try await server.request("POST", "/v1/runs/wait", body: #"{"graph_id": "test:slow-wait", "timeout": 0.3}"#)
            #expect(slow.status == 202)
            let pending = try slow.json()
            #expect(["pending", "running"].contains(pending["status"]?.stringValue ?? ""))
            let location = try #require(slow.headers["location"])
            #expect(try await server.waitForRun(String(location.dropFirst("/v1/runs/".count)))["status"] == "done")

            try await server.request("POST", "/v1/runs/wait", body: #"{"graph_id": "run:hello-stargraph", "timeout": 0}"#).problem(422, "invalid-request-body")
            try await server.request("POST", "/v1/runs/wait", body: #"{"graph_id": "nope"}"#).problem(404, "graph-not-found")
        }
    }
}
