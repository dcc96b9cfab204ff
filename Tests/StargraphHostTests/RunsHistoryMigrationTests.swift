import Foundation
import GRDB
import Testing
@testable import StargraphHost

@Suite("Store migration 007: runs_history without AUTOINCREMENT")
struct RunsHistoryMigrationTests {
    @Test func historyWrittenBeforeKeepsItsOrderAndNewChangesFollowIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("old.sqlite").path
        let old = try DatabaseQueue(path: path)
        try StoreMigrations.migrator.migrate(old, upTo: "006_graph_sources")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO runs (run_id, graph_id, graph_hash, graph_source, graph_origin, status, inputs, state,
                    facts, step_count, next_action, max_steps, created_at, updated_at)
                VALUES ('run-old', 'g', 'sha256:abc', 'id: g', 'g.yaml', 'pending', '{}', '{}', '[]', 0,
                    'null', 10, '2026-11-26T10:00:00.000Z', '2026-11-26T10:00:00.000Z');
                UPDATE runs SET status = 'running', updated_at = '2026-11-26T10:00:01.000Z' WHERE run_id = 'run-old';
                UPDATE runs SET status = 'paused', updated_at = '2026-11-26T10:00:02.000Z' WHERE run_id = 'run-old';
                """)
        }
        try old.close()

        let store = try RunStore(path: path)
        let schema = try await store.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'runs_history'")
        }
        #expect(schema?.uppercased().contains("AUTOINCREMENT") == false)
        #expect(try store.history(runId: "run-old").map(\.status) == [.pending, .running, .paused])

        // The triggers were created again: a later change is recorded, after the older rows.
        #expect(try await store.transitionStatus(runId: "run-old", from: [.paused], to: .cancelled))
        #expect(try store.history(runId: "run-old").map(\.status) == [.pending, .running, .paused, .cancelled])
        try await store.close()
    }
}
