import Foundation
import GRDB
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite

/// A database file as an older build left it: migrated only up to one migration, holding the run
/// `run-old` (graph `g`) with the given `status` and inline `graph_source`, in a fresh folder the
/// caller removes.
struct OlderDatabase {
    let folder: URL
    var path: String { folder.appendingPathComponent("old.sqlite").path }

    init(upTo migration: String, status: RunStatus = .done, graphSource: String = "id: g", then sql: String = "") async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("older-db-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: folder.appendingPathComponent("old.sqlite").path)
        try StoreMigrations.migrator.migrate(old, upTo: migration)
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO runs (run_id, graph_id, graph_hash, graph_source, graph_origin, status, inputs, state,
                    facts, step_count, next_action, max_steps, created_at, updated_at)
                VALUES ('run-old', 'g', 'sha256:abc', ?, 'g.yaml', ?, '{}', '{}', '[]', 0,
                    'null', 10, '2026-11-26T10:00:00.000Z', '2026-11-26T10:00:00.000Z')
                """, arguments: [graphSource, status.rawValue])
            if !sql.isEmpty { try db.execute(sql: sql) }
        }
        try old.close()
    }
}
