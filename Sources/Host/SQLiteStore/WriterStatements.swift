import GRDB
import StargraphCore

/// The statements every run writes, prepared once on the store's writer connection and found by
/// an enum key.
///
/// GRDB's `cachedStatement(sql:)` finds a statement by hashing its whole SQL text, for each of
/// the dozen statements a run executes, all on the writer. A key here costs an array index. ``finalizeAll()`` must run before the connection closes.
///
/// `@unchecked Sendable`: it is only touched inside the group committer's writes and its
/// `close()`, that is, inside GRDB accesses to the pool's one writer connection, which GRDB
/// serializes on its writer queue; a statement is only ever used on the connection it was
/// prepared on.
package final class WriterStatements: @unchecked Sendable {
    /// One cached statement.
    package enum Key: Int, CaseIterable {
        case beginImmediate, commit, insertGraphSource, insertRun, updateRun, insertCheckpoint, appendEvent, insertAuditAnchor

        package var sql: String {
            switch self {
            case .beginImmediate: "BEGIN IMMEDIATE TRANSACTION"
            case .commit: "COMMIT TRANSACTION"
            case .insertGraphSource: "INSERT OR IGNORE INTO graph_sources (source_hash, source) VALUES (?, ?)"
            case .insertRun: RunRecord.insertSQL
            case .updateRun: RunRecord.updateMutableSQL
            case .insertCheckpoint: CheckpointRecord.insertSQL
            case .appendEvent:
                """
                INSERT INTO events (run_id, seq, step, type, ts, payload)
                SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5 FROM events WHERE run_id = ?1
                """
            case .insertAuditAnchor:
                "INSERT OR IGNORE INTO audit_anchors (chain_sha256, seq, line_sha256, log_path, anchored_at) VALUES (?, ?, ?, ?, ?)"
            }
        }
    }

    /// The connection the statements were prepared on.
    private var connection: ObjectIdentifier?
    /// The prepared statements, by ``Key`` raw value.
    private var statements = [Statement?](repeating: nil, count: Key.allCases.count)

    /// Calls `body` with the statement for `key` on `db`, preparing it on first use.
    /// - Throws: the preparation's `DatabaseError`, or what `body` throws.
    package func with<T>(_ key: Key, in db: Database, _ body: (Statement) throws -> T) throws -> T {
        if connection != ObjectIdentifier(db) {
            finalizeAll()
            connection = ObjectIdentifier(db)
        }
        if let statement = statements[key.rawValue] { return try body(statement) }
        let statement = try db.makeStatement(sql: key.sql)
        statements[key.rawValue] = statement
        return try body(statement)
    }

    /// Runs the write statement `key` once with `values` (``Statement/executeDirectly(_:)``).
    package func execute(_ key: Key, in db: Database, _ values: [DatabaseValue]) throws {
        try with(key, in: db) { try $0.executeDirectly(values) }
    }

    /// Finalizes every statement, so that the connection can close; call it on the writer.
    package func finalizeAll() {
        connection = nil
        statements = statements.map { _ in nil }
    }
}
