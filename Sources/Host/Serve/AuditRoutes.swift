import Foundation
import Hummingbird
import StargraphAudit

/// The audit log's public facts, under the route capability `audit:read` in the `cleared`
/// profile: `GET /v1/audit/head` (the chain's current `seq` and head hash, to hand to an outside
/// witness) and `GET /v1/audit/jwks.json` (the public key that verifies its signatures). Without
/// an audit log both answer 503.
struct AuditRoutes: Sendable {
    typealias Context = StargraphRequestContext

    let audit: AuditLog?

    /// Adds the routes to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.auditHead) { _, _ in
            let log = try configured()
            let head = try log.head()
            return JSONMessages.response([
                "seq": .number(Double(head?.seq ?? 0)), "sha256": head.map { .string($0.lineSHA256) } ?? .null,
                "chain_sha256": head.map { .string($0.chainSHA256) } ?? .null, "log_path": .string(log.absolutePath),
                "signed": .bool(log.publicKey != nil), "key_id": log.publicKey.map { .string(Ed25519KeyFile.keyId($0)) } ?? .null,
            ])
        }
        router.on(.auditJWKS) { _, _ in
            JSONMessages.response(try configured().publicKey.map(Ed25519KeyFile.jwks) ?? ["keys": []])
        }
    }

    private func configured() throws(Problem) -> AuditLog {
        guard let audit else {
            throw Problem(.auditNotConfigured, detail: "this server writes no audit log; start it with --audit-log PATH (and --audit-signing-key KEY to sign it)")
        }
        return audit
    }
}
