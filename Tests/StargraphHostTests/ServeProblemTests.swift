import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphServe

/// Every failure path of the HTTP API answers RFC 9457 problem+json with the right status.
@Suite("Serve: problem+json on every failure path")
struct ServeProblemTests {
    @Test("unknown route, wrong method, bad JSON, oversized body, wrong content type, unknown run/graph, bad params")
    func failurePaths() async throws {
        try await ServeTestHarness.with { server in
            try await server.request("GET", "/nope").problem(404, "route-not-found")
            try await server.request("GET", "/v1/nope/deeper").problem(404, "route-not-found")

            let wrongMethod = try await server.request("DELETE", "/v1/runs")
            try wrongMethod.problem(405, "method-not-allowed")
            #expect(wrongMethod.headers["allow"] == "GET, HEAD, POST")
            let wrongMethodOnRun = try await server.request("PUT", "/v1/runs/run-x/cancel", body: "{}")
            try wrongMethodOnRun.problem(405, "method-not-allowed")
            #expect(wrongMethodOnRun.headers["allow"] == "POST")

            let badJSON = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "#)
            #expect(try badJSON.problem(400, "invalid-json")["detail"]?.stringValue?.contains("not valid JSON") == true)

            let large = Data(#"{"graph_id":"run:hello-stargraph","params":{"message":""#.utf8)
                + Data(repeating: UInt8(ascii: "a"), count: StargraphRequestContext.maximumBodySize) + Data(#""}}"#.utf8)
            try await server.request("POST", "/v1/runs", bytes: large).problem(413, "body-too-large")

            let form = try await server.request(
                "POST", "/v1/runs", body: "graph_id=run:hello-stargraph", headers: ["Content-Type": "application/x-www-form-urlencoded"])
            try form.problem(415, "unsupported-media-type")

            try await server.request("GET", "/v1/runs/run-does-not-exist").problem(404, "run-not-found")
            try await server.request("GET", "/v1/runs/run-does-not-exist/steps").problem(404, "run-not-found")
            try await server.request("POST", "/v1/runs/run-does-not-exist/cancel").problem(404, "run-not-found")
            try await server.request("GET", "/v1/graphs/graph:nope").problem(404, "graph-not-found")
            try await server.request("POST", "/v1/runs", body: #"{"graph_id": "graph:nope"}"#).problem(404, "graph-not-found")

            let unknownField = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"colour": "red"}}"#)
            #expect(try unknownField.problem(422, "invalid-params")["detail"]?.stringValue?.contains("colour") == true)
            let wrongType = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": 3}}"#)
            try wrongType.problem(422, "invalid-params")
            try await server.request("POST", "/v1/runs", body: #"["graph_id"]"#).problem(422, "invalid-request-body")
            try await server.request("POST", "/v1/runs", body: #"{"graph": "run:hello-stargraph"}"#).problem(422, "invalid-request-body")

            try await server.request("GET", "/v1/runs?limit=0").problem(400, "invalid-query-parameter")
            try await server.request("GET", "/v1/runs?status=sleeping").problem(400, "invalid-query-parameter")
            try await server.request("GET", "/v1/runs/run-x/stream").problem(426, "upgrade-required")
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
            #expect(try conflict.problem(409, "idempotency-conflict")["run_id"]?.stringValue == runId)
            let mismatch = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "idempotency_key": "k-2"}"#, headers: ["Idempotency-Key": "k-3"])
            try mismatch.problem(422, "invalid-request-body")
        }
    }

    @Test("a transition the run's status forbids is a 409 naming that status")
    func invalidTransition() async throws {
        try await ServeTestHarness.with { server in
            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "x"}}"#)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            _ = try await server.waitForRun(runId)
            let refused = try await server.request("POST", "/v1/runs/\(runId)/resume")
            let problem = try refused.problem(409, "invalid-transition")
            #expect(problem["run_status"]?.stringValue == "done")
            #expect(problem["detail"]?.stringValue?.contains("done") == true)
        }
    }

    @Test("a query parameter the route does not take is a 400 naming it; known ones pass")
    func unknownQueryParameters() async throws {
        try await ServeTestHarness.with { server in
            let typo = try await server.request("GET", "/v1/runs?limt=5&status=done")
            let problem = try typo.problem(400, "unknown-query-parameter")
            #expect(problem["unknown_parameters"] == ["limt"])
            #expect(problem["detail"]?.stringValue?.contains("'limt'") == true)
            #expect(problem["detail"]?.stringValue?.contains("limit") == true, "names the parameters the route takes")
            let health = try await server.request("GET", "/health?verbose=1&b=2")
            #expect(try health.problem(400, "unknown-query-parameter")["unknown_parameters"] == ["b", "verbose"])
            #expect(try await server.request("GET", "/v1/runs?limit=5&status=done").status == 200)
            #expect(try await server.request("GET", "/v1/runs?").status == 200)
            try await server.request("GET", "/v1/nope?x=1").problem(404, "route-not-found")
        }
    }

    @Test("HEAD answers every GET route with its status and headers and no body")
    func headOnGetRoutes() async throws {
        try await ServeTestHarness.with { server in
            for path in ["/health", "/metrics", "/openapi.json", "/v1/runs", "/v1/graphs", "/v1/plugins", "/v1/graphs/run:hello-stargraph"] {
                let get = try await server.request("GET", path)
                let head = try await server.request("HEAD", path)
                #expect(head.status == 200, "HEAD \(path)")
                #expect(head.status == get.status, "HEAD \(path) status")
                #expect(head.headers["content-type"] == get.headers["content-type"], "HEAD \(path) content type")
                #expect(head.body.isEmpty, "HEAD \(path) has no body")
            }
            let missing = try await server.request("HEAD", "/v1/runs/run-does-not-exist")
            #expect(missing.status == 404)
            #expect(missing.body.isEmpty)
            let wrong = try await server.request("PUT", "/v1/graphs")
            #expect(wrong.headers["allow"] == "GET, HEAD")
        }
    }

    @Test("every problem type has its own URI and title; the docs list each one")
    func problemTypesAreDocumented() throws {
        let uris = ProblemType.all.map(\.uri)
        #expect(Set(uris).count == uris.count)
        #expect(Set(ProblemType.all.map(\.title)).count == uris.count)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/api.md"), encoding: .utf8)
        for type in ProblemType.all {
            #expect(docs.contains("`\(type.slug)`"), "docs/api.md lists \(type.slug)")
        }
    }
}
