import Foundation
import Testing
@testable import StargraphHost

/// Every failure path of the HTTP API answers RFC 9457 problem+json with the right status.
@Suite("Serve: problem+json on every failure path")
struct ServeProblemTests {
    @Test("unknown route, wrong method, bad JSON, oversized body, wrong content type, unknown run/graph, bad params")
    func failurePaths() async throws {
        try await ServeTestHarness.with { server in
            try await server.request("GET", "/nope").problem(404)
            try await server.request("GET", "/v1/nope/deeper").problem(404)

            let wrongMethod = try await server.request("DELETE", "/v1/runs")
            try wrongMethod.problem(405)
            #expect(wrongMethod.headers["allow"] == "POST, GET" || wrongMethod.headers["allow"] == "GET, POST")
            let wrongMethodOnRun = try await server.request("PUT", "/v1/runs/run-x/cancel", body: "{}")
            try wrongMethodOnRun.problem(405)
            #expect(wrongMethodOnRun.headers["allow"] == "POST")

            let badJSON = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "#)
            #expect(try badJSON.problem(400)["detail"]?.stringValue?.contains("not valid JSON") == true)

            let large = Data(#"{"graph_id":"run:hello-stargraph","params":{"message":""#.utf8)
                + Data(repeating: UInt8(ascii: "a"), count: StargraphRequestContext.maximumBodySize) + Data(#""}}"#.utf8)
            try await server.request("POST", "/v1/runs", bytes: large).problem(413)

            let form = try await server.request(
                "POST", "/v1/runs", body: "graph_id=run:hello-stargraph", headers: ["Content-Type": "application/x-www-form-urlencoded"])
            try form.problem(415)

            try await server.request("GET", "/v1/runs/run-does-not-exist").problem(404)
            try await server.request("GET", "/v1/runs/run-does-not-exist/steps").problem(404)
            try await server.request("POST", "/v1/runs/run-does-not-exist/cancel").problem(404)
            try await server.request("GET", "/v1/graphs/graph:nope").problem(404)
            try await server.request("POST", "/v1/runs", body: #"{"graph_id": "graph:nope"}"#).problem(404)

            let unknownField = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"colour": "red"}}"#)
            #expect(try unknownField.problem(422)["detail"]?.stringValue?.contains("colour") == true)
            let wrongType = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": 3}}"#)
            try wrongType.problem(422)
            try await server.request("POST", "/v1/runs", body: #"["graph_id"]"#).problem(422)
            try await server.request("POST", "/v1/runs", body: #"{"graph": "run:hello-stargraph"}"#).problem(422)

            try await server.request("GET", "/v1/runs?limit=0").problem(400)
            try await server.request("GET", "/v1/runs?status=sleeping").problem(400)
            try await server.request("GET", "/v1/runs/run-x/stream").problem(426)
        }
    }

    @Test("an idempotency key reused with another body is a 409 naming the first run")
    func idempotencyConflict() async throws {
        try await ServeTestHarness.with { server in
            let body = #"{"graph_id": "run:hello-stargraph", "params": {"message": "a"}}"#
            let first = try await server.request("POST", "/v1/runs", body: body, headers: ["Idempotency-Key": "k-1"])
            #expect(first.status == 202)
            let runId = try first.json()["run_id"]?.stringValue
            let repeated = try await server.request("POST", "/v1/runs", body: body, headers: ["Idempotency-Key": "k-1"])
            #expect(repeated.status == 200)
            #expect(try repeated.json()["run_id"]?.stringValue == runId)
            let other = #"{"graph_id": "run:hello-stargraph", "params": {"message": "b"}}"#
            let conflict = try await server.request("POST", "/v1/runs", body: other, headers: ["Idempotency-Key": "k-1"])
            #expect(try conflict.problem(409)["run_id"]?.stringValue == runId)
            let mismatch = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "idempotency_key": "k-2"}"#, headers: ["Idempotency-Key": "k-3"])
            try mismatch.problem(422)
        }
    }

    @Test("a transition the run's status forbids is a 409 naming that status")
    func invalidTransition() async throws {
        try await ServeTestHarness.with { server in
            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "x"}}"#)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            _ = try await server.waitForRun(runId)
            let refused = try await server.request("POST", "/v1/runs/\(runId)/resume")
            let problem = try refused.problem(409)
            #expect(problem["run_status"]?.stringValue == "done")
            #expect(problem["detail"]?.stringValue?.contains("done") == true)
        }
    }
}
