import Crypto

/// SHA-256 content addresses for JSON values and raw bytes.
public enum ContentHash {
    /// The lowercase hex SHA-256 digest of `bytes` (64 characters).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// `"sha256:"` followed by the hex SHA-256 of `value`'s RFC 8785 canonical JSON; equal values
    /// (whatever their key order) give equal hashes.
    public static func of(_ value: JSONValue) -> String {
        "sha256:" + sha256Hex(CanonicalJSON.bytes(value))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func hex(_ digest: SHA256.Digest) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(SHA256.Digest.byteCount * 2)
        for byte in digest {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
