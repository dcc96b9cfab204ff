import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// What `/health` and the streams ask of the database beyond runs: that it reads, that it
/// writes again after a failure, and how far a run's event log goes.
extension SQLiteRunStore {
    /// Runs a trivial read, so `/health` sees a database that can no longer be read.
    package func ping() throws {
        do {
            _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        } catch {
            throw StoreError.wrapping(error, operation: "checking \(path)")
        }
    }

    /// Why the last write transaction failed, while writes fail (a full disk, an I/O error).
    public var lastWriteFailure: WriteFailure? { committer.health.lastFailure }

    /// After a failed write, rewrites the `store_probe` row (256 KiB), so a store whose disk has
    /// room again reports healthy without waiting for the next run.
    package func probeWritesAfterFailure() async {
        guard lastWriteFailure != nil else { return }
        _ = try? await committer.submit { db in
            try db.execute(sql: """
                INSERT INTO store_probe (id, written_at, filler) VALUES (1, ?, randomblob(262144))
                ON CONFLICT(id) DO UPDATE SET written_at = excluded.written_at, filler = excluded.filler
                """, arguments: [ColumnCoding.timestamp(Date())])
        }
    }

    /// SQLite tells no other process of a commit: readers of their runs poll.
    package func watchRunUpdates(_ onUpdate: @escaping @Sendable (String) -> Void) {}

    /// The highest event seq stored for `runId` (0 when it has none).
    package func lastEventSeq(runId: String) throws -> Int {
        do {
            return try pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", arguments: [runId]) ?? 0
            }
        } catch {
            throw StoreError.wrapping(error, operation: "reading the last event of run \(runId)")
        }
    }
}
