/// A content address: `sha256:` followed by the 64 lowercase hex digits of the bytes' SHA-256.
///
/// It is the only form accepted anywhere an artifact is named (URLs, state fields), and it is
/// parsed strictly, so an id can never name a path outside the artifact folder.
public struct ArtifactID: Sendable, Hashable, CustomStringConvertible {
    /// The 64 lowercase hex digits (also the file name in the artifact folder).
    public let hex: String

    /// Parses `sha256:<64 lowercase hex digits>`; anything else (other prefixes, upper case,
    /// `/`, `..`, wrong length) gives `nil`.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let digits = text.utf8.dropFirst(Self.prefix.utf8.count)
        guard digits.count == 64, digits.allSatisfy(Self.isLowercaseHexDigit) else { return nil }
        hex = String(decoding: digits, as: UTF8.self)
    }

    /// The id of `bytes`.
    public init(of bytes: [UInt8]) {
        hex = ContentHash.sha256Hex(bytes)
    }

    public var description: String { Self.prefix + hex }

    static let prefix = "sha256:"

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
