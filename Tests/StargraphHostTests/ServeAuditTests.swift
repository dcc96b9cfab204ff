import Foundation
import Testing
@testable import StargraphHost

/// Under `cleared`, the audit log names the principal of every mutating and refused request
/// (the key's id, never the key), so a run's start and cancel can be attributed.
@Suite("Serve: requests in the audit log")
struct ServeAuditTests {
    @Test("a start, a cancel, a 401 and a 403 are recorded with their principal and never the key")
    func requestsAreAttributed() async throws {
        let operatorSecret = "operator-secret-\(UUID().uuidString)", readerSecret = "reader-secret-\(UUID().uuidString)"
        var auditPath = ""
        var text = ""
        try await ServeTestHarness.with(configure: { options, folder in
            let keys = folder.appendingPathComponent("keys.yaml").path
            try """
            - {id: ops, key_sha256: \(ContentHash.sha256Hex(Array(operatorSecret.utf8))), capabilities: [runs:start, runs:cancel, runs:read]}
            - {id: reader, key_sha256: \(ContentHash.sha256Hex(Array(readerSecret.utf8))), capabilities: [runs:read]}
            """.write(toFile: keys, atomically: true, encoding: .utf8)
            options.profile = .cleared
            options.apiKeysPath = keys
            auditPath = folder.appendingPathComponent("audit.jsonl").path
            options.auditLogPath = auditPath
        }) { server in
            let body = #"{"graph_id": "graph:hitl", "params": {"message": "m"}}"#
            let posted = try await server.request("POST", "/v1/runs", body: body, headers: ["Authorization": "Bearer \(operatorSecret)"])
            #expect(posted.status == 202)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            for _ in 0..<400 {
                let run = try await server.request("GET", "/v1/runs/\(runId)", headers: ["X-Api-Key": readerSecret]).json()
                if run["status"]?.stringValue == "awaiting_input" { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(try await server.request("POST", "/v1/runs", body: body).status == 401)
            #expect(try await server.request("POST", "/v1/runs/\(runId)/cancel", headers: ["X-Api-Key": readerSecret]).status == 403)
            #expect(try await server.request("POST", "/v1/runs/\(runId)/cancel", headers: ["X-Api-Key": operatorSecret]).status == 200)
            #expect(try await server.request("GET", "/v1/runs/\(runId)", headers: ["X-Api-Key": readerSecret]).status == 200)
            text = try String(contentsOfFile: auditPath, encoding: .utf8)
        }
        #expect(!text.contains(operatorSecret) && !text.contains(readerSecret), "keys never reach the audit log")
        let records = try text.split(separator: "\n").map { try JSONParser.parse(bytes: Array($0.utf8)) }
        let created = records.filter { $0["event"]?.stringValue == "run_created" }
        #expect(created.map { $0["payload"]?["principal"]?.stringValue } == ["ops"], "the run's own creation names who asked")
        let requests = records.filter { $0["event"]?.stringValue == "http_request" }
        let summary = requests.map { "\($0["principal"]?.stringValue ?? "-") \($0["method"]?.stringValue ?? "-") \($0["status"]?.intValue ?? 0)" }
        #expect(summary == ["ops POST 202", "anonymous POST 401", "reader POST 403", "ops POST 200"], "GETs are not recorded")
        let runIds = Set(requests.compactMap { $0["run_id"]?.stringValue })
        #expect(runIds.count == 1, "the start (from its Location) and the cancels name the run")
    }
}
