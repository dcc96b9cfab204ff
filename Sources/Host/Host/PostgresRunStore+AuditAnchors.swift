import StargraphAudit
import StargraphPostgres

/// The PostgreSQL store answers the audit verifier's questions about anchors.
extension PostgresRunStore: AuditAnchorLookup {}
