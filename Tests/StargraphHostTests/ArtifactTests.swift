import Foundation
import Hummingbird
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphEngine
@testable import StargraphServe

@Suite("Artifacts: store, write_artifact, routes")
struct ArtifactTests {
    /// A runtime (whose node kinds include `write_artifact`) on a fresh folder.
    struct Harness {
        let runtime: StargraphRuntime
        let artifacts: ArtifactStore
        let directory: URL

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-artifacts-\(UUID().uuidString)")
            let databasePath = directory.appendingPathComponent("runs.sqlite").path
            var options = StargraphRuntime.Options()
            options.database = databasePath
            runtime = try await StargraphRuntime.open(options)
            artifacts = runtime.artifacts
        }

        func run(_ yaml: String, inputs: [String: JSONValue]) async throws -> RunRecord {
            let graph = try runtime.compiler.compile(text: yaml, sourceName: "artifact.yaml")
            let run = try await runtime.engine.createRun(graph, inputs: inputs, maxSteps: nil)
            return try await runtime.engine.execute(runId: run.runId)
        }
    }

    static let graph = """
        ir_version: "1.0.0"
        id: report
        nodes:
          - {id: render, kind: template, config: {template: "# Report for {{who}}", output: body}}
          - {id: save, kind: write_artifact, config: {name: report.md, content_field: body, content_type: text/markdown, output_field: report_id}}
        state_schema:
          who: str
          body: str
          report_id: str
        rules:
          - {id: to-save, when: {node: render}, then: [{kind: goto, target: save}]}
          - {id: end, when: {node: save}, then: [{kind: halt, reason: saved}]}
        """

    @Test func idsAreParsedStrictly() {
        let hex = String(repeating: "ab", count: 32)
        #expect(ArtifactID("sha256:\(hex)")?.hex == hex)
        #expect(ArtifactID("sha256:\(hex)")?.description == "sha256:\(hex)")
        for bad in [hex, "sha256:\(hex.uppercased())", "sha256:\(hex)0", "sha256:\(hex.dropLast())", "md5:\(hex)",
                    "sha256:../../etc/passwd", "../../etc/passwd", "sha256:\(hex.dropLast(2))/.", ""] {
            #expect(ArtifactID(bad) == nil, "\(bad)")
        }
        #expect(ArtifactID(of: Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func writeArtifactNodeStoresContentAddressedFilesAndRows() async throws {
        let harness = try await Harness()
        let run = try await harness.run(Self.graph, inputs: ["who": "ops"])
        #expect(run.status == .done)
        let id = ArtifactID(of: Array("# Report for ops".utf8))
        #expect(run.state["report_id"] == .string(id.description))
        let file = harness.artifacts.directory + "/" + id.hex
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "# Report for ops")
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.artifacts.directory) == [id.hex])  // no temp files left

        let rows = try await harness.artifacts.artifacts(runId: run.runId)
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.artifactId == id && row.runId == run.runId && row.step == 1 && row.node == "save")
        #expect(row.name == "report.md" && row.contentType == "text/markdown" && row.size == 16)

        // Same content from another run: one file, one row per run.
        let again = try await harness.run(Self.graph, inputs: ["who": "ops"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.artifacts.directory).count == 1)
        #expect(try await harness.artifacts.artifacts(runId: again.runId).count == 1)
        #expect(try await harness.artifacts.artifact(id)?.runId == run.runId)
    }

    @Test func reExecutedStepReplacesItsRow() async throws {
        let harness = try await Harness()
        let run = try await harness.run(Self.graph, inputs: ["who": "a"])
        _ = try await harness.artifacts.write(Array("v2".utf8), runId: run.runId, step: 1, node: "save", name: "report.md", contentType: "text/plain")
        let rows = try await harness.artifacts.artifacts(runId: run.runId)
        #expect(rows.count == 1)
        #expect(rows.first?.artifactId == ArtifactID(of: Array("v2".utf8)))
        #expect(rows.first?.contentType == "text/plain")
    }

    @Test(arguments: [
        ("{name: r, content_field: nope}", "not in state_schema"),
        ("{name: r, content_field: count}", "must name a str field"),
        ("{content_field: body}", "'name' is required"),
        ("{name: r, content_field: body, content_type: \"text\"}", "media type"),
        ("{name: r, content_field: body, output_field: count}", "must name a str field"),
        ("{name: r, content_field: body, path: /etc}", "unknown config key"),
    ])
    func badConfigIsRefusedAtCompileTime(config: String, expected: String) async throws {
        let harness = try await Harness()
        let yaml = """
            ir_version: "1.0.0"
            id: bad
            nodes:
              - {id: save, kind: write_artifact, config: \(config)}
            state_schema:
              body: str
              count: int
            """
        #expect { try harness.runtime.compiler.compile(text: yaml, sourceName: "bad.yaml") } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func missingContentFailsTheRunWithArtifactError() async throws {
        let harness = try await Harness()
        let yaml = """
            ir_version: "1.0.0"
            id: empty
            nodes:
              - {id: save, kind: write_artifact, config: {name: r, content_field: body}}
            state_schema:
              body: str
            """
        let run = try await harness.run(yaml, inputs: [:])
        #expect(run.status == .failed)
        #expect(run.errorClass == "ArtifactError")
        #expect(run.errorCause?.contains("body") == true)
    }

    @Test func routesListServeAndRefuseTraversal() async throws {
        let harness = try await Harness()
        let run = try await harness.run(Self.graph, inputs: ["who": "web"])
        let id = ArtifactID(of: Array("# Report for web".utf8))
        let router = Router(context: StargraphRequestContext.self)
        router.add(middleware: AuthMiddleware(profile: .ossDefault, keys: nil))
        ArtifactRoutes.register(on: router, artifacts: harness.artifacts)
        let server = try await TestServer.start(router: router)
        defer { Task { await server.stop() } }

        let list = try await httpRequest(port: server.port, "GET", "/v1/runs/\(run.runId)/artifacts")
        #expect(list.status == 200)
        #expect(list.json?["total"] == 1 && list.json?["next_cursor"] == .null)
        let entry = try #require(list.json?["items"]?.arrayValue?.first)
        #expect(entry["run_id"] == .string(run.runId))
        #expect(entry["artifact_id"] == .string(id.description))
        #expect(entry["name"] == "report.md")
        #expect(entry["content_type"] == "text/markdown")
        #expect(entry["size"] == 16)
        #expect(entry["step"] == 1)

        let content = try await httpRequest(port: server.port, "GET", "/v1/artifacts/\(id)")
        #expect(content.status == 200)
        #expect(content.text == "# Report for web")
        #expect(content.header("Content-Type") == "text/markdown")
        #expect(content.header("X-Content-Type-Options") == "nosniff")
        let encoded = try await httpRequest(port: server.port, "GET", "/v1/artifacts/sha256%3A\(id.hex)")
        #expect(encoded.status == 200)

        let unknown = try await httpRequest(port: server.port, "GET", "/v1/artifacts/sha256:\(String(repeating: "0", count: 64))")
        #expect(unknown.status == 404)
        #expect(unknown.header("Content-Type") == "application/problem+json")
        #expect(try await httpRequest(port: server.port, "GET", "/v1/runs/nope/artifacts").status == 404)

        for path in ["/v1/artifacts/..%2F..%2Fetc%2Fpasswd", "/v1/artifacts/sha256:..%2F..%2Fetc%2Fpasswd",
                     "/v1/artifacts/%2E%2E", "/v1/artifacts/\(id.hex)", "/v1/artifacts/../../etc/passwd"] {
            let refused = try await httpRequest(port: server.port, "GET", path)
            #expect([400, 404].contains(refused.status), "\(path)")
            #expect(!refused.text.contains("root:"))
        }
        #expect(try await httpRequest(port: server.port, "GET", "/v1/artifacts/..%2F..%2Fetc%2Fpasswd").status == 400)
    }
}
