/// Why a JSON text was rejected, and where.
///
/// `line` and `column` are 1-based (columns count Unicode scalars); `offset` is the 0-based
/// UTF-8 byte offset. Fix the text at that position and parse again.
public struct JSONParseError: Error, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int
    public var message: String

    /// Creates an error; prefer letting ``JSONParser`` build it from a byte offset.
    public init(line: Int, column: Int, offset: Int, message: String) {
        self.line = line
        self.column = column
        self.offset = offset
        self.message = message
    }

    public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 / I-JSON parser working directly on UTF-8 bytes.
///
/// Rejects trailing commas, comments, `NaN`/`Infinity`, numbers outside the double range,
/// lone surrogates, invalid UTF-8, duplicate object keys, nesting deeper than
/// ``maximumDepth`` and anything after the value. Whitespace around the value is allowed.
public enum JSONParser {
    /// The deepest nesting of arrays and objects accepted; deeper input is an error, never a crash.
    public static let maximumDepth = 512

    /// Parses one JSON value from `text`; throws a ``JSONParseError`` naming the line and column
    /// of the first problem.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { JSONParser.parse(buffer: $0) }
        return try result.get()
    }

    /// Parses one JSON value from UTF-8 `bytes`; throws a ``JSONParseError`` naming the line and
    /// column of the first problem (including invalid UTF-8).
    public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBufferPointer { JSONParser.parse(buffer: $0) }
        return try result.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        var reader = JSONByteReader(bytes: buffer)
        do throws(JSONParseError) {
            reader.skipWhitespace()
            let value = try reader.readValue(depth: 0)
            reader.skipWhitespace()
            if reader.index < buffer.count {
                throw reader.error("unexpected \(reader.describeByte(at: reader.index)) after the JSON value; "
                    + "a document holds exactly one value")
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}

/// The cursor behind ``JSONParser``: one pass over the bytes, recursive descent bounded by depth.
private struct JSONByteReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    // MARK: Values

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input; expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
        case UInt8(ascii: "["): return try readArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try readLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try readLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try readLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw error("unexpected \(describeByte(at: index)); expected a value")
        }
    }

    mutating func readObject(depth: Int) throws(JSONParseError) -> JSONValue {
        try checkDepth(depth)
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key in double quotes, found \(describeByte(at: index))")
            }
            let keyOffset = index
            let key = try readString()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else {
                throw error("expected ':' after object key, found \(describeByte(at: index))")
            }
            skipWhitespace()
            let value = try readValue(depth: depth)
            if members.updateValue(value, forKey: key) != nil {
                throw error("duplicate object key \"\(key)\"; each key may appear once", at: keyOffset)
            }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "}")) { return .object(members) }
            throw error("expected ',' or '}' in object, found \(describeByte(at: index))")
        }
    }

    mutating func readArray(depth: Int) throws(JSONParseError) -> JSONValue {
        try checkDepth(depth)
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return .array(elements) }
            throw error("expected ',' or ']' in array, found \(describeByte(at: index))")
        }
    }

    mutating func readLiteral(_ word: StaticString) throws(JSONParseError) {
        let start = index
        let count = word.utf8CodeUnitCount
        let matches = index + count <= bytes.count
            && (0..<count).allSatisfy { bytes[start + $0] == word.utf8Start[$0] }
        guard matches else { throw error("invalid literal; expected \(word)") }
        index += count
    }

    // MARK: Numbers

    mutating func readNumber() throws(JSONParseError) -> Double {
        let start = index
        var isPlainInteger = true
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            if index < bytes.count, isDigit(bytes[index]) {
                throw error("leading zeros are not allowed in numbers")
            }
        } else {
            try readDigits(after: "'-'")
        }
        if consume(UInt8(ascii: ".")) {
            isPlainInteger = false
            try readDigits(after: "the decimal point")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isPlainInteger = false
            index += 1
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            try readDigits(after: "the exponent")
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if isPlainInteger, text.count <= 16, let exact = Self.smallInteger(text) { return exact }
        guard let number = Double(String(decoding: text, as: UTF8.self)), number.isFinite else {
            throw error("number \(String(decoding: text, as: UTF8.self)) is outside the range of a double", at: start)
        }
        return number
    }

    /// Integers of at most 15 digits are exact in a double; computing them directly skips `Double(String)`.
    static func smallInteger(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let negative = text.first == UInt8(ascii: "-")
        let digits = negative ? text.dropFirst() : text[...]
        guard digits.count <= 15 else { return nil }
        var value: Int64 = 0
        for digit in digits { value = value * 10 + Int64(digit &- UInt8(ascii: "0")) }
        if negative && value == 0 { return -0.0 }
        return Double(negative ? -value : value)
    }

    mutating func readDigits(after context: String) throws(JSONParseError) {
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw error("expected a digit after \(context), found \(describeByte(at: index))")
        }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    // MARK: Strings

    /// Reads a string starting at its opening quote. Plain runs are copied as validated UTF-8;
    /// escapes are decoded into scalars.
    mutating func readString() throws(JSONParseError) -> String {
        index += 1
        var decoded: [UInt8] = []
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                index += 1
                if decoded.isEmpty { return String(decoding: run, as: UTF8.self) }
                decoded.append(contentsOf: run)
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                try readEscape(into: &decoded)
                runStart = index
            case 0..<0x20:
                throw error("control character U+\(hex4(UInt32(byte))) must be escaped inside a string")
            case 0x80...:
                try skipMultibyteScalar()
            default:
                index += 1
            }
        }
        throw error("unterminated string; expected a closing '\"'")
    }

    mutating func readEscape(into decoded: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = index
        index += 1
        guard index < bytes.count else { throw error("unterminated escape sequence") }
        let letter = bytes[index]
        index += 1
        let simple: UInt8? = switch letter {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            decoded.append(simple)
            return
        }
        guard letter == UInt8(ascii: "u") else {
            throw error("invalid escape '\\\(describeByte(at: index - 1))'; "
                + "use one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", at: escapeStart)
        }
        var scalarValue = try readHex4()
        if (0xDC00...0xDFFF).contains(scalarValue) {
            throw error("lone low surrogate \\u\(hex4(scalarValue)); it must follow a high surrogate", at: escapeStart)
        }
        if (0xD800...0xDBFF).contains(scalarValue) {
            let pairStart = index
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("lone high surrogate \\u\(hex4(scalarValue)); it must be followed by a \\uDC00-\\uDFFF escape",
                            at: escapeStart)
            }
            index += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("high surrogate \\u\(hex4(scalarValue)) is followed by \\u\(hex4(low)), not a low surrogate",
                            at: pairStart)
            }
            scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
        }
        // Surrogates are excluded above, so every remaining value is a valid scalar.
        decoded.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalarValue)!)!)
    }

    mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("\\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u escape needs four hex digits, found \(describeByte(at: index))")
            }
            value = value << 4 | UInt32(nibble)
            index += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (Unicode Table 3-7) and steps over it.
    mutating func skipMultibyteScalar() throws(JSONParseError) {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        case 0xF1...0xF3: length = 4
        default: throw error("invalid UTF-8 byte 0x\(String(lead, radix: 16)); JSON text must be UTF-8")
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]),
              (2..<length).allSatisfy({ (0x80...0xBF).contains(bytes[index + $0]) }) else {
            throw error("invalid UTF-8 sequence starting with byte 0x\(String(lead, radix: 16)); JSON text must be UTF-8")
        }
        index += length
    }

    // MARK: Helpers

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > JSONParser.maximumDepth {
            throw error("arrays and objects are nested more than \(JSONParser.maximumDepth) levels deep; flatten the document")
        }
    }

    func describeByte(at position: Int) -> String {
        guard position < bytes.count else { return "end of input" }
        let byte = bytes[position]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Builds an error at `offset` (default: the cursor), computing line and column only now.
    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var column = 1
        for byte in bytes[0..<offset] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONParseError(line: line, column: column, offset: offset, message: message)
    }
}
