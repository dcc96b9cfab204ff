import Crypto
import Foundation
import StargraphCore
import StargraphAudit

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
        let input = CompactJWS.encode(CanonicalJSON.bytes(header)) + "." + CompactJWS.encode(CanonicalJSON.bytes(claims))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + CompactJWS.encode(Array(signature))
    }

    /// The public key as a JWK Set, served at `GET /v1/broker/jwks.json`.
    public var jwks: JSONValue { Ed25519KeyFile.jwks(key.publicKey) }
}
