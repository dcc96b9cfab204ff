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
            if integer < 0 { output.append(UInt8(ascii: "-")) }
            return appendDecimal(integer.magnitude, to: &output)
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
            output.append(zero)
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: repeatElement(zero, count: -n))
            output.append(contentsOf: digits)
        } else {
            output.append(digits[0])
            if count > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(contentsOf: (n - 1 < 0 ? "e-" : "e+").utf8)
            appendDecimal(UInt64((n - 1).magnitude), to: &output)
        }
    }

    /// Appends the decimal digits of `value` (no sign, no leading zeros) straight into `output`.
    static func appendDecimal(_ value: UInt64, to output: inout [UInt8]) {
        let start = output.count
        var remaining = value
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: remaining % 10))
            remaining /= 10
        } while remaining > 0
        output[start...].reverse()
    }

    /// The shortest round-trip decimal digits of a positive finite `magnitude` (ASCII, no leading
    /// or trailing zeros) and `n` such that the value is `0.digits × 10^n` — ECMAScript's `k` and `n`.
    ///
    /// Swift's `description` already yields the shortest digits closest to the value (as
    /// `ddd.ddd` or `d.ddde±x`); only its layout differs from ECMAScript's, so it is taken apart here.
    static func shortestDigits(of magnitude: Double) -> (digits: [UInt8], pointPosition: Int) {
        var digits: [UInt8] = []
        digits.reserveCapacity(24)
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
        digits.removeLast(trailingZeros)
        digits.removeFirst(leadingZeros)
        return (digits, integerDigits - leadingZeros + exponentSign * exponent)
    }

    // MARK: Encoding

    /// Appends the canonical JSON of `value` to `output`.
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
            withSortedIndices(of: members) { order in
                for (position, entry) in order.enumerated() {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    let member = members[entry.index]
                    appendString(member.key, to: &output)
                    output.append(UInt8(ascii: ":"))
                    append(member.value, to: &output)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// The members in RFC 8785 order: keys by UTF-16 code units, not by Swift `String` order.
    static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        withSortedIndices(of: members) { order in order.map { members[$0.index] } }
    }

    /// A member's position in its dictionary, with ``orderPrefix(_:)`` of its key as sort key.
    private typealias SortEntry = (prefix: UInt64, index: Dictionary<String, JSONValue>.Index)

    /// Calls `body` with the indices of `members` in RFC 8785 key order, sorted in a temporary
    /// (stack-allocated when small) buffer so that encoding an object copies no members. Keys are
    /// compared by their first eight bytes as one integer, and in full only when those are equal.
    private static func withSortedIndices<Result>(
        of members: [String: JSONValue], _ body: (UnsafeBufferPointer<SortEntry>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: SortEntry.self, capacity: members.count) { buffer in
            var order = buffer
            let keys = members.keys
            for (position, index) in keys.indices.enumerated() {
                order.initializeElement(at: position, to: (withUTF8Bytes(of: keys[index], orderPrefix), index))
            }
            defer { order.deinitialize() }
            order.sort { first, second in
                first.prefix != second.prefix
                    ? first.prefix < second.prefix : utf16Precedes(keys[first.index], keys[second.index])
            }
            return body(UnsafeBufferPointer(order))
        }
    }

    /// Calls `body` with the UTF-8 bytes of `text`, without copying them when the string is native.
    static func withUTF8Bytes<Result>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// Whether `left` sorts before `right` by UTF-16 code units (see the byte-level overload).
    static func utf16Precedes(_ left: String, _ right: String) -> Bool {
        withUTF8Bytes(of: left) { leftBytes in
            withUTF8Bytes(of: right) { rightBytes in utf16Precedes(leftBytes, rightBytes) }
        }
    }

    /// UTF-16 code unit order, computed on UTF-8 bytes: the first differing bytes decide by
    /// ``utf16OrderRank(_:)``, and a text that is a prefix of the other comes first.
    static func utf16Precedes(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        for position in 0..<min(left.count, right.count) where left[position] != right[position] {
            return utf16OrderRank(left[position]) < utf16OrderRank(right[position])
        }
        return left.count < right.count
    }

    /// `byte` relabelled so that byte order of UTF-8 texts is UTF-16 code unit order. UTF-8 byte
    /// order is code point order, which matches UTF-16 order except that supplementary characters
    /// (lead byte F0–F4, UTF-16 surrogates D800–DBFF) sort before U+E000–U+FFFF (lead byte EE–EF).
    /// Bytes from EE up are always lead bytes, and the first differing bytes of two valid UTF-8
    /// texts are both lead bytes or both continuation bytes, so moving F0–F4 below EE–EF suffices.
    static func utf16OrderRank(_ byte: UInt8) -> UInt8 {
        switch byte {
        case 0xF0...0xF4: byte - 2
        case 0xEE, 0xEF: byte + 5
        default: byte
        }
    }

    /// The first eight bytes of a UTF-8 text, each ``utf16OrderRank(_:)``-ranked and zero-padded,
    /// as a big-endian integer: a smaller prefix means the text comes first in UTF-16 order; equal
    /// prefixes decide nothing.
    static func orderPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var prefix: UInt64 = 0
        for position in 0..<8 {
            prefix = prefix << 8 | UInt64(position < bytes.count ? utf16OrderRank(bytes[position]) : 0)
        }
        return prefix
    }

    /// Appends `text` as a JSON string per RFC 8785 §3.2.2.2: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
    /// `\t`, `\u00xx` (lowercase hex) for other control characters, everything else literal UTF-8.
    /// Runs of bytes that need no escape are copied in bulk.
    static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        withUTF8Bytes(of: text) { bytes in
            var runStart = 0
            for position in bytes.indices {
                let byte = bytes[position]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                appendEscape(byte, to: &output)
                runStart = position + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends the escape sequence of `byte`, a quote, backslash or control character.
    private static func appendEscape(_ byte: UInt8, to output: inout [UInt8]) {
        let shortForm: UInt8? = switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        default: nil
        }
        output.append(UInt8(ascii: "\\"))
        guard let shortForm else {
            output.append(contentsOf: "u00".utf8)
            output.append(lowercaseHexDigit(byte >> 4))
            output.append(lowercaseHexDigit(byte & 0x0F))
            return
        }
        output.append(shortForm)
    }

    /// The lowercase hexadecimal digit (ASCII) of `nibble`, which must be below 16.
    package static func lowercaseHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }
}
