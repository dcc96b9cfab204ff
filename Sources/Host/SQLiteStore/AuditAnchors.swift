import Foundation
import GRDB
import StargraphCore
import StargraphStore

/// Audit-chain heads recorded in the store, beside the writes they audit.
///
/// An anchor is one ``AuditHead``: the chain (hash of the log's first line), a `seq` and the
/// hash of that record's line. A log that is shorter than an anchor of its chain, or holds
/// another line at an anchored `seq`, was cut or rewritten after the anchor was committed.
extension SQLiteRunStore {
    /// Every anchor of the chain `chainSHA256`, by `seq`.
    public func auditAnchors(chainSHA256: String) throws -> [AuditHead] {
        try read("reading the audit anchors of chain \(chainSHA256)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit_anchors WHERE chain_sha256 = ? ORDER BY seq", arguments: [chainSHA256]
            ).map(Self.auditHead)
        }
    }

    /// The latest anchor of each chain anchored under `logPath` (an absolute path), newest first:
    /// what the database expects of a log at that path, whatever its chain.
    public func auditAnchors(logPath: String) throws -> [AuditHead] {
        try read("reading the audit anchors of \(logPath)") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit_anchors AS anchor WHERE log_path = ?
                    AND seq = (SELECT MAX(seq) FROM audit_anchors WHERE chain_sha256 = anchor.chain_sha256)
                ORDER BY anchored_at DESC
                """, arguments: [logPath]
            ).map(Self.auditHead)
        }
    }

    /// Records `head` on its own, for an audit append no store write goes with.
    public func anchorAudit(_ head: AuditHead) async throws {
        let statements = committer.statements
        try await write("anchoring the audit log") { db in try head.record(in: db, statements) }
    }

    private static func auditHead(_ row: Row) -> AuditHead {
        AuditHead(logPath: row["log_path"], chainSHA256: row["chain_sha256"], seq: row["seq"], lineSHA256: row["line_sha256"])
    }
}

extension AuditHead {
    /// Inserts this head into `audit_anchors` inside the current transaction.
    package func record(in db: Database, _ statements: WriterStatements) throws {
        try statements.execute(.insertAuditAnchor, in: db, [
            chainSHA256.databaseValue, seq.databaseValue, lineSHA256.databaseValue, logPath.databaseValue,
            ColumnCoding.timestamp(Date()).databaseValue,
        ])
    }
}
