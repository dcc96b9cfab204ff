/// A position in a source text, 1-based (libyaml's 0-based marks are converted on read).
public struct SourceMark: Sendable, Hashable {
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in characters (Unicode scalars), a tab counting as one.
    public var column: Int

    /// Creates a mark at a 1-based `line` and `column`.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// One node of a parsed YAML document, with the position it starts at. Produced by
/// ``YAMLParser``: aliases are already expanded, mapping keys are scalars and unique, and every
/// scalar resolves to a JSON value (see ``toJSON()``).
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Content: Sendable {
        /// A scalar: its text, whether it was written unquoted (plain scalars are resolved by
        /// the YAML 1.2 core schema), and its explicit tag (`tag:yaml.org,2002:str`, …) if any.
        case scalar(text: String, isPlain: Bool, tag: String?)
        /// Items in source order.
        case sequence([YAMLNode])
        /// Key/value pairs in source order.
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var content: Content
    /// Where the node starts.
    public var mark: SourceMark
    /// Where the node ends (just past its last character).
    public var endMark: SourceMark

    /// Creates a node; ``YAMLParser`` is the usual source of nodes.
    public init(content: Content, mark: SourceMark, endMark: SourceMark) {
        self.content = content
        self.mark = mark
        self.endMark = endMark
    }

    /// The text when this is a scalar (as written, without quotes), else `nil`.
    public var scalarText: String? {
        if case .scalar(let text, _, _) = content { return text }
        return nil
    }

    /// The items when this is a sequence, else `nil`.
    public var sequenceItems: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The pairs when this is a mapping, else `nil`.
    public var mappingPairs: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// `sequence`, `mapping`, or for a scalar its JSON type (`string`, `number`, `boolean`,
    /// `null`), for messages.
    public var kindName: String {
        switch content {
        case .scalar: toJSON().typeName
        case .sequence: "sequence"
        case .mapping: "mapping"
        }
    }

    /// The node as JSON. Plain scalars follow the YAML 1.2 core schema (`null`, `~` and empty →
    /// null; `true`/`false`; decimal, `0o` and `0x` integers; floats); quoted and block scalars
    /// are strings; `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` tags force the type.
    /// ``YAMLParser`` rejects scalars that do not fit JSON (`.inf`, `.nan`, integers beyond
    /// 2^53), so for parsed nodes nothing is lost; a hand-built node with such a scalar gets
    /// its text as a string.
    public func toJSON() -> JSONValue {
        switch content {
        case .scalar(let text, let isPlain, let tag):
            switch ScalarResolution.resolve(text: text, isPlain: isPlain, tag: tag) {
            case .null: return .null
            case .bool(let flag): return .bool(flag)
            case .number(let number) where ScalarResolution.isExact(number): return .number(number)
            case .number, .invalid, .string: return .string(text)
            }
        case .sequence(let items):
            return .array(items.map { $0.toJSON() })
        case .mapping(let pairs):
            var members: [String: JSONValue] = [:]
            for pair in pairs { members[pair.key.scalarText ?? CanonicalJSON.encode(pair.key.toJSON())] = pair.value.toJSON() }
            return .object(members)
        }
    }
}

/// The YAML 1.2 core schema for scalars, plus the JSON limits the host needs.
enum ScalarResolution: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string
    /// An explicit tag the text does not fit (`!!int abc`); the message says why.
    case invalid(String)

    static let tagPrefix = "tag:yaml.org,2002:"
    /// Tags a scalar may carry; anything else is rejected by the parser.
    static let scalarTags: Set<String> = Set(["str", "null", "bool", "int", "float"].map { tagPrefix + $0 } + ["!"])

    /// Largest integer magnitude a double holds exactly (2^53).
    static let maxExactInteger = 9_007_199_254_740_992.0

    /// Whether `number` survives the trip through JSON: finite and, for integers, exact.
    static func isExact(_ number: Double) -> Bool {
        number.isFinite && (number.rounded() != number || abs(number) <= maxExactInteger)
    }

    static func resolve(text: String, isPlain: Bool, tag: String?) -> ScalarResolution {
        switch tag {
        case nil: return isPlain ? core(text) : .string
        case "!", tagPrefix + "str": return .string
        case tagPrefix + "null": return core(text) == .null ? .null : .invalid("'\(text)' is not null")
        case tagPrefix + "bool":
            if case .bool(let flag) = core(text) { return .bool(flag) }
            return .invalid("'\(text)' is not a bool (use true or false)")
        case tagPrefix + "int":
            return integer(text).map { .number($0) } ?? .invalid("'\(text)' is not an integer")
        case tagPrefix + "float":
            if case .number(let number) = core(text) { return .number(number) }
            return .invalid("'\(text)' is not a float")
        default: return .invalid("unsupported tag '\(tag ?? "")'")
        }
    }

    /// Core-schema resolution of a plain scalar.
    static func core(_ text: String) -> ScalarResolution {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        case ".nan", ".NaN", ".NAN": return .number(.nan)
        default: break
        }
        if let number = integer(text) { return .number(number) }
        if isDecimalFloat(text), let number = Double(text) { return .number(number) }
        return .string
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`; values beyond Int64 come back inexact
    /// (and are rejected by the parser as too large).
    static func integer(_ text: String) -> Double? {
        let (radix, digits): (Int, Substring) =
            text.hasPrefix("0o") ? (8, text.dropFirst(2)) : text.hasPrefix("0x") ? (16, text.dropFirst(2)) : (10, Substring(text))
        let unsigned = radix == 10 && (digits.first == "-" || digits.first == "+") ? digits.dropFirst() : digits
        guard !unsigned.isEmpty, unsigned.allSatisfy({ $0.isASCII && ($0.hexDigitValue ?? radix) < radix }) else { return nil }
        if let value = Int(digits, radix: radix) { return Double(value) }
        let negative = digits.first == "-"
        return negative ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isDecimalFloat(_ text: String) -> Bool {
        var rest = Substring(text)
        func digits() -> Int {
            let count = rest.prefix { $0.isASCII && $0.isNumber }.count
            rest = rest.dropFirst(count)
            return count
        }
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        var mantissaDigits = digits()
        if rest.first == "." {
            rest = rest.dropFirst()
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if rest.first == "e" || rest.first == "E" {
            rest = rest.dropFirst()
            if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return rest.isEmpty
    }
}
