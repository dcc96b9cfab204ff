/// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte sequence the host hashes and signs.
///
/// Object keys are sorted by their UTF-16 code units, there is no whitespace, numbers use
/// ECMAScript `Number.prototype.toString` formatting and strings are escaped minimally.
/// Non-finite numbers cannot come out of ``JSONParser``; if one is built by hand it is encoded
/// as `null` (what ECMAScript's `JSON.stringify` does).
public enum CanonicalJSON {
    /// The canonical JSON text of `value`.
    public static func encode(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The canonical JSON of `value` as UTF-8 bytes, ready for hashing or signing.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        append(value, to: &output)
        return output
    }

    /// ECMAScript `Number::toString` of `number`: shortest round-trip digits, plain notation for
    /// magnitudes in [1e-6, 1e21), exponent notation (`1e+21`, `1e-7`) otherwise, `-0` as `"0"`.
    /// Non-finite numbers give `"null"`.
    public static func formatNumber(_ number: Double) -> String {
        var output: [UInt8] = []
        appendNumber(number, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends ``formatNumber(_:)``'s text as UTF-8 without building intermediate strings.
    static func appendNumber(_ number: Double, to output: inout [UInt8]) {
        guard number.isFinite else { return output.append(contentsOf: "null".utf8) }
        if number == 0 { return output.append(UInt8(ascii: "0")) }
        if number.magnitude < 1e15, let integer = Int64(exactly: number) {
            return output.append(contentsOf: String(integer).utf8)
        }
        if number < 0 { output.append(UInt8(ascii: "-")) }
        let (digits, n) = shortestDigits(of: number.magnitude)
        let count = digits.count
        let zero = UInt8(ascii: "0")
        if count <= n && n <= 21 {
            output.append(contentsOf: digits)
            output.append(contentsOf: repeatElement(zero, count: n - count))
        } else if 0 < n && n <= 21 {
            output.append(contentsOf: digits[..<n])
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            output.append(contentsOf: [zero, UInt8(ascii: ".")])
            output.append(contentsOf: repeatElement(zero, count: -n))
            output.append(contentsOf: digits)
        } else {
            output.append(digits[0])
            if count > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(contentsOf: (n - 1 < 0 ? "e-" : "e+").utf8)
            output.append(contentsOf: String((n - 1).magnitude).utf8)
        }
    }

    /// The shortest round-trip decimal digits of a positive finite `magnitude` (ASCII, no leading
    /// or trailing zeros) and `n` such that the value is `0.digits × 10^n` — ECMAScript's `k` and `n`.
    ///
    /// Swift's `description` already yields the shortest digits closest to the value (as
    /// `ddd.ddd` or `d.ddde±x`); only its layout differs from ECMAScript's, so it is taken apart here.
    static func shortestDigits(of magnitude: Double) -> (digits: [UInt8], pointPosition: Int) {
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        for byte in magnitude.description.utf8 {
            switch byte {
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"): inExponent = true
            case UInt8(ascii: "-"): exponentSign = -1
            case UInt8(ascii: "+"): break
            case _ where inExponent: exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
            default:
                digits.append(byte)
                if !seenPoint { integerDigits += 1 }
            }
        }
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        let trailingZeros = digits.reversed().prefix { $0 == UInt8(ascii: "0") }.count
        let significant = Array(digits[leadingZeros..<(digits.count - trailingZeros)])
        return (significant, integerDigits - leadingZeros + exponentSign * exponent)
    }

    // MARK: Encoding

    static func append(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): appendNumber(number, to: &output)
        case .string(let text): appendString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                append(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (position, member) in sortedMembers(members).enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                append(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The members in RFC 8785 order: keys by UTF-16 code units, not by Swift `String` order.
    static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        members.sorted { utf16Precedes($0.key, $1.key) }
    }

    /// UTF-16 code unit order, computed on UTF-8 bytes. UTF-8 byte order is code point order,
    /// which matches UTF-16 order except that supplementary characters (UTF-8 lead byte F0–F4,
    /// UTF-16 surrogates D800–DBFF) sort before U+E000–U+FFFF (lead byte EE–EF) in UTF-16.
    static func utf16Precedes(_ left: String, _ right: String) -> Bool {
        for (leftByte, rightByte) in zip(left.utf8, right.utf8) where leftByte != rightByte {
            if leftByte >= 0xEE && rightByte >= 0xEE && (leftByte >= 0xF0) != (rightByte >= 0xF0) {
                return leftByte >= 0xF0
            }
            return leftByte < rightByte
        }
        return left.utf8.count < right.utf8.count
    }

    private static let lowercaseHexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string per RFC 8785 §3.2.2.2: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
    /// `\t`, `\u00xx` (lowercase hex) for other control characters, everything else literal UTF-8.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(lowercaseHexDigits[Int(byte >> 4)])
                output.append(lowercaseHexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
