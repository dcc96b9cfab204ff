import Crypto
import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphAudit

/// Under `cleared`, the audit log names the principal of every mutating and refused request
/// (the key's id, never the key), so a run's start and cancel can be attributed.
@Suite("Serve: requests in the audit log")
struct ServeAuditTests {
    @Test("a start, a cancel, a 401 and a 403 are recorded with their principal and never the key")
    func requestsAreAttributed() async throws {
        let operatorSecret = "operator-secret-\(UUID().uuidString)", readerSecret = "reader-secret-\(UUID().uuidString)"
        var auditPath = ""
        var publicKey: Curve25519.Signing.PublicKey?
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
            options.auditSigningKeyPath = folder.appendingPathComponent("audit.key").path
            publicKey = try Ed25519KeyFile.loadOrCreate(path: options.auditSigningKeyPath!).key.publicKey
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
            let served = try await server.request("GET", "/v1/audit/jwks.json", headers: ["X-Api-Key": operatorSecret])
            #expect(served.status == 403, "the key set needs audit:read")
            let report = try await AuditVerifier.report(path: auditPath, publicKey: publicKey, anchors: server.server.runtime.sqliteStore)
            #expect(report.failure == nil, "\(String(describing: report.failure))")
            #expect(report.passed.map(\.name) == ["chain", "signatures", "anchors from DB"])
            #expect(report.passed.last?.detail.contains("not anchored") == false, "every record, requests included, is anchored: \(report.passed)")
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

    @Test("without an audit log the audit routes answer 503 audit-not-configured")
    func auditRoutesNeedALog() async throws {
        try await ServeTestHarness.with { server in
            try await server.request("GET", "/v1/audit/head").problem(503, "audit-not-configured")
            try await server.request("GET", "/v1/audit/jwks.json").problem(503, "audit-not-configured")
        }
    }

    @Test("an unsigned log's head says so, and its key set is empty")
    func unsignedHead() async throws {
        try await ServeTestHarness.with(configure: { options, folder in
            options.auditLogPath = folder.appendingPathComponent("audit.jsonl").path
        }) { server in
            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "m"}}"#)
            #expect(posted.status == 202)
            let head = try await server.request("GET", "/v1/audit/head").json()
            #expect(head["signed"] == false && head["key_id"] == .null)
            #expect((head["seq"]?.intValue ?? 0) >= 2, "run_created and the request at least: \(head)")
            #expect(try await server.request("GET", "/v1/audit/jwks.json").json() == ["keys": []])
        }
    }
}

/// Key files: the private key file `audit-key` writes, and the public forms `--public-key` reads.
@Suite("Audit: key files")
struct Ed25519KeyFileTests {
    @Test("a public key is read from a JWK Set, a JWK or raw base64; anything else is refused naming the file")
    func publicKeyForms() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        let (key, created) = try Ed25519KeyFile.loadOrCreate(path: folder.appendingPathComponent("audit.key").path)
        #expect(created)
        let jwks = Ed25519KeyFile.jwks(key.publicKey)
        let forms: [String: String] = [
            "set.json": CanonicalJSON.encode(jwks),
            "one.json": CanonicalJSON.encode(try #require(jwks["keys"]?.arrayValue?.first)),
            "raw.txt": key.publicKey.rawRepresentation.base64EncodedString() + "\n",
        ]
        for (name, text) in forms {
            let path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try Ed25519KeyFile.publicKey(path: path).rawRepresentation == key.publicKey.rawRepresentation, "\(name)")
        }
        let garbage = folder.appendingPathComponent("garbage.json").path
        try #"{"keys": [{"kty": "RSA"}]}"#.write(toFile: garbage, atomically: true, encoding: .utf8)
        let error = #expect(throws: Ed25519KeyFileError.self) { try Ed25519KeyFile.publicKey(path: garbage) }
        #expect(error?.description.contains(garbage) == true && error?.description.contains("no Ed25519 public key") == true)
        #expect(throws: Ed25519KeyFileError.self) { try Ed25519KeyFile.load(path: folder.appendingPathComponent("missing.key").path) }
    }
}
