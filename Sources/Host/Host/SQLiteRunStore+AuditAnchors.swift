import StargraphAudit
import StargraphSQLite

/// The SQLite store answers the audit verifier's questions about anchors.
extension SQLiteRunStore: AuditAnchorLookup {}
