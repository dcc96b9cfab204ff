/// The SDK's own small JSON codec (the SDK links nothing of the host): strict RFC 8259 parsing
/// of the bytes the host sends, and compact encoding with sorted keys of what a node returns.
public enum PluginJSON {
    /// The deepest nesting accepted by ``parse(_:)``.
    public static let maximumDepth = 512

    /// Why a JSON text was rejected: the byte offset and what is wrong there.
    public struct ParseError: Error, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// A value that has no JSON form (a non-finite number).
    public struct EncodeError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Parses exactly one JSON value from `bytes` (whitespace around it allowed).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> PluginValue {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.offset == bytes.count else { throw reader.error("unexpected text after the value") }
        return value
    }

    /// Parses a JSON text.
    public static func parse(_ text: String) throws(ParseError) -> PluginValue {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { (buffer) throws(ParseError) -> PluginValue in
            try parse(UnsafeBufferPointer(buffer))
        }
    }

    /// Encodes `value` as compact JSON with object keys sorted.
    public static func encode(_ value: PluginValue) throws(EncodeError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        try append(value, to: &output)
        return output
    }

    private static func append(_ value: PluginValue, to output: inout [UInt8]) throws(EncodeError) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            guard number.isFinite else { throw EncodeError(message: "\(number) has no JSON form; return a finite number") }
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 {
                output.append(contentsOf: String(Int64(number)).utf8)
            } else {
                output.append(contentsOf: String(number).utf8)
            }
        case .string(let text): appendString(text, to: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try append(item, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                try append(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(contentsOf: text.utf8)
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\")); output.append(byte)
            case UInt8(ascii: "\n"): output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "t"))
            case 0..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

/// A cursor over JSON bytes; each method consumes one construct or throws where it stops.
private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    func error(_ message: String) -> PluginJSON.ParseError { PluginJSON.ParseError(offset: offset, message: message) }

    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
    }

    mutating func expect(_ literal: String, _ value: PluginValue) throws(PluginJSON.ParseError) -> PluginValue {
        for byte in literal.utf8 {
            guard current == byte else { throw error("expected '\(literal)'") }
            offset += 1
        }
        return value
    }

    mutating func value(depth: Int) throws(PluginJSON.ParseError) -> PluginValue {
        guard depth < PluginJSON.maximumDepth else { throw error("nesting deeper than \(PluginJSON.maximumDepth)") }
        skipWhitespace()
        switch current {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case nil: throw error("unexpected end of input")
        default: return try number()
        }
    }

    mutating func object(depth: Int) throws(PluginJSON.ParseError) -> PluginValue {
        offset += 1
        var members = [String: PluginValue](minimumCapacity: 8)
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            offset += 1
            guard members.updateValue(try value(depth: depth + 1), forKey: key) == nil else { throw error("duplicate key '\(key)'") }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): offset += 1; return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws(PluginJSON.ParseError) -> PluginValue {
        offset += 1
        var items: [PluginValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            offset += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): offset += 1; return .array(items)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    mutating func string() throws(PluginJSON.ParseError) -> String {
        offset += 1
        let start = offset
        // Fast path: no escapes, the text is the bytes between the quotes.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw error("control character in a string") }
            offset += 1
        }
        guard let stop = current else { throw error("unterminated string") }
        var text = try validated(start..<offset)
        if stop == UInt8(ascii: "\"") {
            offset += 1
            return text
        }
        var run = offset
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                text += try validated(run..<offset)
                offset += 1
                return text
            case UInt8(ascii: "\\"):
                text += try validated(run..<offset)
                offset += 1
                text.unicodeScalars.append(try escape())
                run = offset
            case 0..<0x20:
                throw error("control character in a string")
            default:
                offset += 1
            }
        }
    }

    /// The string's bytes in `range` as text; invalid UTF-8 (an encoded surrogate included) is
    /// refused. Decoding repairs invalid bytes with U+FFFD, so text that is not byte-for-byte the
    /// input was not valid UTF-8 (this works on every platform the SDK builds for).
    func validated(_ range: Range<Int>) throws(PluginJSON.ParseError) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        let text = String(decoding: raw, as: UTF8.self)
        guard text.utf8.elementsEqual(raw) else {
            throw PluginJSON.ParseError(offset: range.lowerBound, message: "invalid UTF-8 in a string; JSON text must be UTF-8")
        }
        return text
    }

    mutating func escape() throws(PluginJSON.ParseError) -> Unicode.Scalar {
        guard let byte = current else { throw error("unterminated escape") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high) {
                guard current == UInt8(ascii: "\\") else { throw error("lone surrogate") }
                offset += 1
                guard current == UInt8(ascii: "u") else { throw error("lone surrogate") }
                offset += 1
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low),
                    let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                else { throw error("invalid surrogate pair") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else { throw error("lone surrogate") }
            return scalar
        default: throw error("unknown escape")
        }
    }

    mutating func hex4() throws(PluginJSON.ParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw error("bad \\u escape") }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    mutating func number() throws(PluginJSON.ParseError) -> PluginValue {
        let start = offset
        func digits() -> Int {
            var count = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { offset += 1; count += 1 }
            return count
        }
        if current == UInt8(ascii: "-") { offset += 1 }
        let integerStart = offset
        guard digits() > 0 else { throw error("unexpected character") }
        if bytes[integerStart] == UInt8(ascii: "0"), offset - integerStart > 1 { throw error("leading zero in a number") }
        if current == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw error("digits expected after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw error("digits expected in the exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else { throw error("number out of range") }
        return .number(number)
    }
}
