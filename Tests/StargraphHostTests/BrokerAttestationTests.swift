import Crypto
import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphAudit
@testable import StargraphBroker

@Suite("Broker attestation")
struct BrokerAttestationTests {
    private let claims: JSONValue = [
        "request_id": "breq-1", "agent": "support-bot", "purpose": "support",
        "sources_queried": ["incident-db"], "sources_denied": ["hr-records"],
        "data_sha256": .string(String(repeating: "a", count: 64)), "iat": 1_770_000_000,
    ]

    @Test("a signed token verifies and carries the claims; the JWKS key is the signer's")
    func signAndVerify() throws {
        let key = Curve25519.Signing.PrivateKey()
        let signer = BrokerSigner(key: key)
        let token = try signer.sign(claims)
        let jwk = try #require(signer.jwks["keys"]?.arrayValue?.first)
        #expect(jwk["kid"]?.stringValue == signer.keyId)
        let published = try #require(CompactJWS.publicKey(fromJWK: jwk))
        #expect(published.rawRepresentation == key.publicKey.rawRepresentation)
        #expect(CompactJWS.verify(token, publicKey: published) == claims)
        let header = try JSONParser.parse(bytes: try #require(CompactJWS.decode(String(token.split(separator: ".")[0]))))
        #expect(header == ["alg": "EdDSA", "typ": "JWT", "kid": .string(signer.keyId)])
        #expect(CompactJWS.verify(token, publicKey: Curve25519.Signing.PrivateKey().publicKey) == nil, "another key must not verify")
    }

    @Test("changing any character of the payload, or re-encoding edited claims, fails verification")
    func tamperingFails() throws {
        let key = Curve25519.Signing.PrivateKey()
        let token = try BrokerSigner(key: key).sign(claims)
        let parts = token.split(separator: ".").map(String.init)
        let payload = Array(parts[1])
        for index in payload.indices {
            for replacement in ["A", "b", "-", "_"] where Character(replacement) != payload[index] {
                var tampered = payload
                tampered[index] = Character(replacement)
                let forged = parts[0] + "." + String(tampered) + "." + parts[2]
                #expect(CompactJWS.verify(forged, publicKey: key.publicKey) == nil, "payload index \(index) → \(replacement) verified")
            }
        }
        var edited = try #require(claims.objectValue)
        edited["sources_denied"] = []
        let reencoded = parts[0] + "." + CompactJWS.encode(CanonicalJSON.bytes(.object(edited))) + "." + parts[2]
        #expect(CompactJWS.verify(reencoded, publicKey: key.publicKey) == nil)
        #expect(CompactJWS.verify(parts[0] + "." + parts[1] + "=." + parts[2], publicKey: key.publicKey) == nil, "padding is refused")
        #expect(CompactJWS.verify(token, publicKey: key.publicKey) != nil)
    }

    @Test("the key file is created once with mode 0600 and loaded again on the next start")
    func keyFileLifecycle() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("broker-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("keys/signing.key").path
        let first = try BrokerSigner.loadOrCreate(path: path)
        #expect(first.created)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let second = try BrokerSigner.loadOrCreate(path: path)
        #expect(!second.created)
        #expect(second.signer.keyId == first.signer.keyId)

        try "not a key\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: BrokerConfigurationError.self) { try BrokerSigner.loadOrCreate(path: path) }
        #expect(error?.description.contains("does not hold a base64 32-byte Ed25519 private key") == true)
    }
}
