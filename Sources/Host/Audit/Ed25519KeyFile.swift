import Crypto
import Foundation
import StargraphCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ed25519 key files and their public form, shared by the audit log's signatures and the
/// broker's attestations.
///
/// A private key file holds the base64 (or base64url) of the 32-byte private key on one line,
/// mode 0600. A public key is published as a JWK Set (RFC 8037 `OKP`/`Ed25519`).
public enum Ed25519KeyFile {
    /// Reads the private key at `path`.
    /// - Throws: ``Ed25519KeyFileError`` when the file is missing, unreadable or holds no key.
    public static func load(path: String) throws(Ed25519KeyFileError) -> Curve25519.Signing.PrivateKey {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadable(path, error.localizedDescription)
        }
        guard let raw = base64Line(text), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw .notAKey(path)
        }
        return key
    }

    /// Loads the key at `path`, or creates the file (and its folders) with a fresh key when
    /// there is none. `created` says which.
    public static func loadOrCreate(path: String) throws(Ed25519KeyFileError) -> (key: Curve25519.Signing.PrivateKey, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try load(path: path), false) }
        let key = Curve25519.Signing.PrivateKey()
        try create(path: path, contents: key.rawRepresentation.base64EncodedString() + "\n")
        return (key, true)
    }

    /// The key id: the first 16 hex digits of SHA-256 over the raw public key.
    public static func keyId(_ publicKey: Curve25519.Signing.PublicKey) -> String {
        String(ContentHash.sha256Hex(Array(publicKey.rawRepresentation)).prefix(16))
    }

    /// `publicKey` as a JWK Set of one key.
    public static func jwks(_ publicKey: Curve25519.Signing.PublicKey) -> JSONValue {
        ["keys": [[
            "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": .string(keyId(publicKey)),
            "x": .string(AuditRecordFormat.base64URLEncoded(publicKey.rawRepresentation)),
        ]]]
    }

    /// The public key in the file at `path`: a JWK Set (its first Ed25519 key), one JWK, or
    /// the base64 of the 32 raw bytes.
    /// - Throws: ``Ed25519KeyFileError`` when the file is missing, unreadable or holds no public key.
    public static func publicKey(path: String) throws(Ed25519KeyFileError) -> Curve25519.Signing.PublicKey {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path) }
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw .unreadable(path, error.localizedDescription)
        }
        if let document = try? JSONParser.parse(bytes: bytes) {
            let candidates = document["keys"]?.arrayValue ?? [document]
            if let key = candidates.lazy.compactMap(CompactJWS.publicKey(fromJWK:)).first { return key }
            throw .notAPublicKey(path)
        }
        guard let raw = base64Line(String(decoding: bytes, as: UTF8.self)),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { throw .notAPublicKey(path) }
        return key
    }

    /// The bytes of a file holding one line of base64 or base64url.
    private static func base64Line(_ text: String) -> Data? {
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Data(base64Encoded: line) ?? AuditRecordFormat.base64URLDecoded(line)
    }

    private static func create(path: String, contents: String) throws(Ed25519KeyFileError) {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(path, "cannot create its folder (\(error.localizedDescription))")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw .cannotCreate(path, "cannot write it (\(String(cString: strerror(errno))))")
        }
    }
}

/// Why an Ed25519 key file could not be used.
public enum Ed25519KeyFileError: Error, Sendable, CustomStringConvertible {
    case missing(String)
    case unreadable(String, String)
    case notAKey(String)
    case notAPublicKey(String)
    case cannotCreate(String, String)

    /// The reason alone, without the path.
    public var reason: String {
        switch self {
        case .missing: "there is no such file; create a key with `stargraph audit-key PATH`"
        case .unreadable(_, let cause): "cannot read it (\(cause))"
        case .notAKey: "it does not hold a base64 32-byte Ed25519 private key"
        case .notAPublicKey: "it holds no Ed25519 public key (a JWK Set, a JWK, or the base64 of 32 raw bytes)"
        case .cannotCreate(_, let cause): "cannot create it (\(cause))"
        }
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case .missing(let path), .unreadable(let path, _), .notAKey(let path), .notAPublicKey(let path), .cannotCreate(let path, _): path
        }
    }

    public var description: String { "key file \(path): \(reason)" }
}
