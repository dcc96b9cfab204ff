import Crypto
import Foundation
import StargraphCore

/// Signs broker routing decisions as compact JWS (RFC 7515) with Ed25519 (RFC 8037):
/// header `{"alg":"EdDSA","typ":"JWT","kid":…}`, the payload's canonical JSON, both
/// base64url without padding; the signature covers the ASCII `header.payload`.
public struct BrokerSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey
    /// The key id: the first 16 hex digits of SHA-256 over the raw public key.
    public let keyId: String

    /// A signer with `key`.
    public init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
        keyId = Ed25519KeyFile.keyId(key.publicKey)
    }

    /// Loads the key file at `path` (see ``Ed25519KeyFile``), or, when no file is there,
    /// creates one with mode 0600 and a fresh key. `created` says which.
    /// - Throws: ``BrokerConfigurationError/cannotStart(_:_:)`` when the file cannot be read,
    ///   holds no valid key, or cannot be created.
    public static func loadOrCreate(path: String) throws -> (signer: BrokerSigner, created: Bool) {
        do {
            let (key, created) = try Ed25519KeyFile.loadOrCreate(path: path)
            return (BrokerSigner(key: key), created)
        } catch {
            let advice = if case .notAKey = error { "; delete it to have a new key generated" } else { "" }
            throw BrokerConfigurationError.cannotStart("attestation key \(path)", error.reason + advice)
        }
    }

    /// The compact JWS of `claims`.
    public func sign(_ claims: JSONValue) throws -> String {
        let header: JSONValue = ["alg": "EdDSA", "typ": "JWT", "kid": .string(keyId)]
        let input = BrokerJWS.encode(CanonicalJSON.bytes(header)) + "." + BrokerJWS.encode(CanonicalJSON.bytes(claims))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + BrokerJWS.encode(Array(signature))
    }

    /// The public key as a JWK Set, served at `GET /v1/broker/jwks.json`.
    public var jwks: JSONValue { Ed25519KeyFile.jwks(key.publicKey) }
}

/// Checking compact JWS tokens the broker signed.
public enum BrokerJWS {
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
    static func encode(_ bytes: [UInt8]) -> String {
        AuditRecordFormat.base64URLEncoded(Data(bytes))
    }

    /// Unpadded base64url, strictly: any other character, or padding, is refused.
    static func decode(_ text: String) -> [UInt8]? {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard text.allSatisfy(alphabet.contains), let data = AuditRecordFormat.base64URLDecoded(text) else { return nil }
        return Array(data)
    }
}
