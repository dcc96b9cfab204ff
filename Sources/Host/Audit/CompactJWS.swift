import Crypto
import Foundation
import StargraphCore

/// Compact JWS tokens signed with Ed25519 (EdDSA) and their keys as JWKs: what the broker's
/// attestations and the audit log's signing keys are published and checked as.
public enum CompactJWS {
    /// The claims of `token` when it is a well-formed EdDSA compact JWS whose signature verifies
    /// with `publicKey`; `nil` otherwise (any changed byte in header, payload or signature).
    public static func verify(_ token: String, publicKey: Curve25519.Signing.PublicKey) -> JSONValue? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = decode(String(parts[0])), let payloadBytes = decode(String(parts[1])),
              let signature = decode(String(parts[2])),
              publicKey.isValidSignature(Data(signature), for: Data((parts[0] + "." + parts[1]).utf8)),
              let header = try? JSONParser.parse(bytes: headerBytes), header["alg"] == "EdDSA",
              let claims = try? JSONParser.parse(bytes: payloadBytes) else { return nil }
        return claims
    }

    /// The public key in a JWK (`kty` OKP, `crv` Ed25519, `x`), or `nil` when it is not one.
    public static func publicKey(fromJWK jwk: JSONValue) -> Curve25519.Signing.PublicKey? {
        guard jwk["kty"] == "OKP", jwk["crv"] == "Ed25519", let x = jwk["x"]?.stringValue, let raw = decode(x) else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    /// Unpadded base64url.
    package static func encode(_ bytes: [UInt8]) -> String {
        AuditRecordFormat.base64URLEncoded(Data(bytes))
    }

    /// Unpadded base64url, strictly: any other character, or padding, is refused.
    package static func decode(_ text: String) -> [UInt8]? {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard text.allSatisfy(alphabet.contains), let data = AuditRecordFormat.base64URLDecoded(text) else { return nil }
        return Array(data)
    }
}
