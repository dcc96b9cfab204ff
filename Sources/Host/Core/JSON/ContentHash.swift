import Crypto

/// SHA-256 content addresses for JSON values and raw bytes.
public enum ContentHash {
    /// The lowercase hex SHA-256 digest of `bytes` (64 characters).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes), after: "")
    }

    /// `"sha256:"` followed by the hex SHA-256 of `value`'s RFC 8785 canonical JSON; equal values
    /// (whatever their key order) give equal hashes.
    public static func of(_ value: JSONValue) -> String {
        of(canonicalBytes: CanonicalJSON.bytes(value))
    }

    /// ``of(_:)`` of the value whose canonical JSON is `canonicalBytes` (``CanonicalJSON/bytes(_:)``).
    package static func of(canonicalBytes: [UInt8]) -> String {
        hex(SHA256.hash(data: canonicalBytes), after: "sha256:")
    }

    /// `prefix` followed by the lowercase hex of `digest`, written straight into the new string.
    private static func hex(_ digest: SHA256.Digest, after prefix: StaticString) -> String {
        let prefixBytes = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        return String(unsafeUninitializedCapacity: prefixBytes.count + SHA256.Digest.byteCount * 2) { text in
            var end = text.initialize(fromContentsOf: prefixBytes)
            digest.withUnsafeBytes { bytes in
                for byte in bytes {
                    text[end] = CanonicalJSON.lowercaseHexDigit(byte >> 4)
                    text[end + 1] = CanonicalJSON.lowercaseHexDigit(byte & 0x0F)
                    end += 2
                }
            }
            return end
        }
    }
}
