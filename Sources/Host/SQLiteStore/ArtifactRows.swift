import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// The `artifacts` table: which run, step and node wrote which content-addressed bytes.
extension SQLiteRunStore {
    /// Records `record`; a step re-executed after a crash replaces its own row (run, step, node
    /// and name are unique).
    /// - Throws: ``StoreError/database(operation:detail:)`` when its run is not stored.
    package func recordArtifact(_ record: ArtifactRecord) async throws {
        do {
            try await committer.submit { db in
                try db.execute(
                    sql: """
                        INSERT INTO artifacts (artifact_id, run_id, step, node, name, content_type, size, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (run_id, step, node, name) DO UPDATE SET
                            artifact_id = excluded.artifact_id, content_type = excluded.content_type,
                            size = excluded.size, created_at = excluded.created_at
                        """,
                    arguments: [
                        record.artifactId.description, record.runId, record.step, record.node, record.name,
                        record.contentType, record.size, ColumnCoding.timestamp(record.createdAt),
                    ])
            }
        } catch {
            throw StoreError.wrapping(error, operation: "recording artifact \(record.name) of run \(record.runId)")
        }
    }

    /// The artifacts of `runId`, by step then name (empty for an unknown run).
    package func artifacts(runId: String) throws -> [ArtifactRecord] {
        try read("listing artifacts of run \(runId)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM artifacts WHERE run_id = ? ORDER BY step, node, name", arguments: [runId]
            ).map { row throws(StoreError) in try ArtifactRecord(row: row) }
        }
    }

    /// The first recorded write of `id`, or `nil` when no run wrote it.
    package func artifact(_ id: ArtifactID) throws -> ArtifactRecord? {
        try read("reading artifact \(id)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM artifacts WHERE artifact_id = ? ORDER BY id LIMIT 1", arguments: [id.description]
            ).map { row throws(StoreError) in try ArtifactRecord(row: row) }
        }
    }
}

extension ArtifactRecord {
    /// Decodes an `artifacts` row.
    package init(row: Row) throws(StoreError) {
        let runId: String = row["run_id"]
        let idText: String = row["artifact_id"]
        guard let id = ArtifactID(idText) else {
            throw .corruptColumn(runId: runId, column: "artifacts.artifact_id", detail: "not a sha256:<hex> id: \(idText)")
        }
        self.init(
            artifactId: id, runId: runId, step: row["step"], node: row["node"], name: row["name"],
            contentType: row["content_type"], size: row["size"],
            createdAt: try ColumnCoding.timestamp(row["created_at"] as String, runId: runId, column: "artifacts.created_at"))
    }
}
