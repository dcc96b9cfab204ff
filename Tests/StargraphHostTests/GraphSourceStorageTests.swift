import Foundation
import GRDB
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore

@Suite("RunStore: graph text stored once per source (migration 006)")
struct GraphSourceStorageTests {
    private static func run(_ runId: String, source: String) -> RunRecord {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        return RunRecord(
            runId: runId, graphId: "g", graphHash: "sha256:abc", graphSource: source, graphOrigin: "graphs/g.yaml",
            status: .pending, inputs: .object([:]), state: .object([:]), maxSteps: 10, createdAt: now, updatedAt: now)
    }

    @Test func runsOfOneGraphShareOneStoredTextAndReadItBack() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("graph-sources-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: folder.appendingPathComponent("s.sqlite").path)
        let long = "id: g\n" + String(repeating: "# documentation of the graph\n", count: 400)
        for index in 0..<5 { try await store.insertRun(Self.run("run-\(index)", source: long), events: []) }
        try await store.insertRun(Self.run("run-other", source: "id: g\n# another text\n"), events: [])

        #expect(try store.run("run-3")?.graphSource == long)
        #expect(try store.run("run-other")?.graphSource == "id: g\n# another text\n")
        #expect(try store.listRuns(RunQuery()).runs.allSatisfy { $0.graphSource.hasPrefix("id: g\n") })
        let (texts, inline) = try await store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM graph_sources") ?? -1,
             try Int.fetchOne(db, sql: "SELECT MAX(LENGTH(graph_source)) FROM runs") ?? -1)
        }
        #expect(texts == 2, "one stored text per distinct source")
        #expect(inline == 0, "run rows no longer carry the text")
        try await store.close()
    }

    @Test func runsStoredBeforeMigration006KeepTheirInlineText() async throws {
        let old = try await OlderDatabase(upTo: "005_status_triggers", graphSource: "id: g # inline")
        defer { try? FileManager.default.removeItem(at: old.folder) }
        let store = try SQLiteRunStore(path: old.path)
        #expect(try store.run("run-old")?.graphSource == "id: g # inline")
        try await store.close()
    }
}
