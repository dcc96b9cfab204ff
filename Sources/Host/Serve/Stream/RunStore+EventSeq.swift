import GRDB

extension RunStore {
    /// The highest event seq stored for `runId` (0 when it has none).
    func lastEventSeq(runId: String) throws -> Int {
        do {
            return try pool.read { db in
                try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", arguments: [runId]) ?? 0
            }
        } catch {
            throw StoreError.wrapping(error, operation: "reading the last event of run \(runId)")
        }
    }
}
