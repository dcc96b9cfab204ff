import Foundation
import GRDB
import Testing
@testable import StargraphHost
@testable import StargraphSQLite
@testable import StargraphStore

@Suite("Store migration 007: runs_history without AUTOINCREMENT")
struct RunsHistoryMigrationTests {
    @Test func historyWrittenBeforeKeepsItsOrderAndNewChangesFollowIt() async throws {
        let old = try await OlderDatabase(upTo: "006_graph_sources", status: .pending, then: """
            UPDATE runs SET status = 'running', updated_at = '2026-11-26T10:00:01.000Z' WHERE run_id = 'run-old';
            UPDATE runs SET status = 'paused', updated_at = '2026-11-26T10:00:02.000Z' WHERE run_id = 'run-old';
            """)
        defer { try? FileManager.default.removeItem(at: old.folder) }

        let store = try SQLiteRunStore(path: old.path)
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
