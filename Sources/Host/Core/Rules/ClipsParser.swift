/// A `when` string (or retract pattern) that is not in the supported CLIPS subset.
///
/// `offset` is the 0-based `Character` offset of the offending token in the parsed text (the
/// text's length when the text ended too early); add it to the string's position in the YAML
/// file to report `file:line:column`. The `message` says what was found and what is supported.
public struct ClipsSyntaxError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "CLIPS syntax error at character \(offset): \(message)" }
}

/// Parses the CLIPS subset graphs use in `when:` into ``Condition``s and ``Pattern``s.
///
/// Accepted forms (any number of top-level patterns form a conjunction; whitespace, newlines and
/// `;` comments to the end of a line are free):
/// - `(initial-fact)`, `(ready)` — a pattern with no slots;
/// - `?v <- (node-id (id X))` — the binding is stored without the `?` in ``Pattern/binding``;
/// - `(TEMPLATE (slot V) …)` — a literal `V` (quoted string, number or bare symbol) becomes
///   `.textOneOf([V])`; `(slot v1|v2)` becomes `.textOneOf(["v1", "v2"])`;
/// - `(slot ?x)` — `.variable("x")` (name stored without the `?`);
/// - `(slot > N)` with `> >= < <= = !=` — `.compare(gt/ge/lt/le/eq/ne, literal)`, allowed in
///   every template, not only `state`. Quoted literals compare as strings; bare numbers as
///   numbers; bare `TRUE`/`true`/`FALSE`/`false` as booleans; bare `nil` as null; any other
///   bare symbol as a string;
/// - `(not PATTERN)` — a negated pattern (not nestable, not bindable).
///
/// Anything else — `(test …)`, `(or …)`, `(and …)`, `$?x`, `&`/`~` connectives, the `?`
/// wildcard, unbalanced parentheses, an empty text — throws ``ClipsSyntaxError``.
public enum ClipsParser {
    /// Parses a whole `when` string: one or more patterns, all of which must hold.
    ///
    /// Throws ``ClipsSyntaxError`` when the text is empty, outside the subset, or binds the same
    /// `?v <-` address variable twice (or reuses it as a slot variable).
    public static func parseCondition(_ text: String) throws(ClipsSyntaxError) -> Condition {
        var parser = try ClipsPatternParser(text: text)
        guard !parser.atEnd else {
            throw parser.error("the condition is empty; expected at least one pattern such as (initial-fact)")
        }
        var patterns: [Pattern] = []
        var addressVariables: [String: Int] = [:]
        var slotVariables: Set<String> = []
        while !parser.atEnd {
            let start = parser.currentOffset
            let pattern = try parser.parsePattern()
            if let binding = pattern.binding {
                guard addressVariables[binding] == nil else {
                    throw ClipsSyntaxError(offset: start, message: "?\(binding) already binds another pattern; give each `?v <-` its own name")
                }
                addressVariables[binding] = start
            }
            for slotTest in pattern.slots {
                if case .variable(let name) = slotTest.test { slotVariables.insert(name) }
            }
            patterns.append(pattern)
        }
        if let clash = addressVariables.first(where: { slotVariables.contains($0.key) }) {
            throw ClipsSyntaxError(offset: clash.value, message: "?\(clash.key) binds a whole pattern and is also used as a slot variable; rename one of them")
        }
        return Condition(patterns: patterns)
    }

    /// Parses exactly one pattern (optionally `?v <-`-bound or `(not …)`), e.g. a `retract`
    /// action's pattern. Throws ``ClipsSyntaxError`` when the text holds no pattern, more than
    /// one, or anything outside the subset.
    public static func parsePattern(_ text: String) throws(ClipsSyntaxError) -> Pattern {
        var parser = try ClipsPatternParser(text: text)
        guard !parser.atEnd else {
            throw parser.error("the pattern is empty; expected one pattern such as (ready (id x))")
        }
        let pattern = try parser.parsePattern()
        guard parser.atEnd else {
            throw parser.error("expected the end of the text: exactly one pattern is allowed here")
        }
        return pattern
    }

    /// The forms the parser accepts, quoted in its error messages.
    static let supportedForms = "supported forms: (initial-fact), [?v <-] (node-id (id X)), (FIELD (value \"V\")), "
        + "(state (f v1|v2)), (state (f > N)) with > >= < <= = !=, (TEMPLATE (slot V) (slot ?x) ...), (not PATTERN)"
}

/// Recursive-descent parser over ``ClipsLexer`` tokens.
struct ClipsPatternParser {
    private let tokens: [ClipsToken]
    private var index = 0

    init(text: String) throws(ClipsSyntaxError) {
        tokens = try ClipsLexer.tokenize(text)
    }

    var atEnd: Bool { current.kind == .end }
    var currentOffset: Int { current.offset }
    private var current: ClipsToken { tokens[index] }

    func error(_ message: String) -> ClipsSyntaxError {
        ClipsSyntaxError(offset: current.offset, message: message)
    }

    private mutating func advance() { if !atEnd { index += 1 } }

    /// `[?v <-] ( … )` or `(not PATTERN)`.
    mutating func parsePattern() throws(ClipsSyntaxError) -> Pattern {
        var binding: String?
        if case .variable(let name) = current.kind {
            advance()
            guard current.kind == .arrow else {
                throw error("expected `<-` after ?\(name): a variable outside a slot must bind a pattern, as in ?\(name) <- (node-id (id X))")
            }
            advance()
            binding = name
        }
        try expectOpen("a pattern")
        let headOffset = current.offset
        let head = try name(of: "a template name")
        if head == "not" {
            guard binding == nil else {
                throw ClipsSyntaxError(offset: headOffset, message: "a negated pattern cannot be bound with `?v <-`; bind only positive patterns")
            }
            return try parseNegatedBody()
        }
        var pattern = try parseSlots(template: head)
        pattern.binding = binding
        return pattern
    }

    /// The rest of `(not PATTERN)` after `not`.
    private mutating func parseNegatedBody() throws(ClipsSyntaxError) -> Pattern {
        if case .variable = current.kind {
            throw error("a negated pattern cannot be bound with `?v <-`; write (not (TEMPLATE ...))")
        }
        try expectOpen("the pattern inside (not ...)")
        let headOffset = current.offset
        let head = try name(of: "a template name")
        if head == "not" {
            throw ClipsSyntaxError(offset: headOffset, message: "(not (not ...)) is not supported; drop both `not`s")
        }
        var pattern = try parseSlots(template: head)
        pattern.negated = true
        try expectClose("(not ...)")
        return pattern
    }

    /// The slots of `(TEMPLATE (slot value) …)` after the template name, through the `)`.
    private mutating func parseSlots(template: String) throws(ClipsSyntaxError) -> Pattern {
        var slots: [SlotTest] = []
        while true {
            switch current.kind {
            case .close:
                advance()
                return Pattern(template: template, slots: slots)
            case .open:
                advance()
                slots.append(try parseSlot())
            case .end:
                throw error("unbalanced parentheses: pattern (\(template) ...) is missing its closing `)`")
            default:
                throw error("expected a slot like (name value) or `)` to close pattern (\(template) ...); ordered facts are not supported, "
                    + ClipsParser.supportedForms)
            }
        }
    }

    /// One `(slot value)` after its `(`, through the `)`.
    private mutating func parseSlot() throws(ClipsSyntaxError) -> SlotTest {
        let slot = try name(of: "a slot name")
        let test: SlotTest.Test
        switch current.kind {
        case .variable(let variable):
            advance()
            test = .variable(variable)
        case .comparison(let comparison):
            advance()
            test = .compare(comparison, try comparisonLiteral())
        case .close:
            throw error("slot `\(slot)` needs a value, as in (\(slot) X), (\(slot) ?x) or (\(slot) > 3)")
        default:
            var alternatives = [try textLiteral()]
            while current.kind == .pipe {
                advance()
                alternatives.append(try textLiteral())
            }
            test = .textOneOf(alternatives)
        }
        try expectClose("slot `\(slot)` (one value, or alternatives v1|v2)")
        return SlotTest(slot: slot, test: test)
    }

    /// A literal compared as text: quoted strings raw, bare symbols and numbers as written.
    private mutating func textLiteral() throws(ClipsSyntaxError) -> String {
        switch current.kind {
        case .string(let text), .bare(let text):
            advance()
            return text
        default:
            throw error("expected a literal value (a \"string\", a number or a symbol); " + ClipsParser.supportedForms)
        }
    }

    /// A literal after a comparison operator, typed as documented on ``ClipsParser``.
    private mutating func comparisonLiteral() throws(ClipsSyntaxError) -> JSONValue {
        switch current.kind {
        case .string(let text):
            advance()
            return .string(text)
        case .bare(let text):
            advance()
            if let number = ClipsLiteral.number(from: text) { return .number(number) }
            switch text {
            case "TRUE", "true": return .bool(true)
            case "FALSE", "false": return .bool(false)
            case "nil": return .null
            default: return .string(text)
            }
        default:
            throw error("expected a number, \"string\" or symbol after the comparison operator")
        }
    }

    /// A template or slot name: `[A-Za-z_][A-Za-z0-9_\-.]*`, rejecting unsupported CLIPS keywords.
    private mutating func name(of what: String) throws(ClipsSyntaxError) -> String {
        guard case .bare(let text) = current.kind else {
            if current.kind == .end { throw error("unbalanced parentheses: expected \(what) but the text ended") }
            throw error("expected \(what) (letters, digits, _ - .; starting with a letter or _)")
        }
        if ClipsLiteral.unsupportedKeywords.contains(text) {
            throw error("(\(text) ...) is not supported; " + ClipsParser.supportedForms)
        }
        guard ClipsLiteral.isName(text) else {
            throw error("`\(text)` is not a valid name for \(what): use letters, digits, _ - . and start with a letter or _")
        }
        advance()
        return text
    }

    private mutating func expectOpen(_ what: String) throws(ClipsSyntaxError) {
        switch current.kind {
        case .open: advance()
        case .close: throw error("unbalanced parentheses: `)` has no matching `(`")
        default: throw error("expected `(` to start \(what); " + ClipsParser.supportedForms)
        }
    }

    private mutating func expectClose(_ what: String) throws(ClipsSyntaxError) {
        switch current.kind {
        case .close: advance()
        case .end: throw error("unbalanced parentheses: \(what) is missing its closing `)`")
        default: throw error("expected `)` to close \(what)")
        }
    }
}

/// Lexical rules shared by the parser and the matcher.
enum ClipsLiteral {
    /// CLIPS conditional elements outside the subset, rejected by name.
    static let unsupportedKeywords: Set<String> = ["test", "or", "and", "exists", "forall", "logical"]

    /// Whether `text` is a template or slot name: `[A-Za-z_][A-Za-z0-9_\-.]*`.
    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return text.unicodeScalars.allSatisfy { isASCIILetter($0) || isASCIIDigit($0) || "_-.".unicodeScalars.contains($0) }
    }

    /// The value of a CLIPS number literal `[+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?`, else `nil`
    /// (unlike `Double(_:)`, no `inf`, `nan` or hexadecimal).
    static func number(from text: String) -> Double? {
        var scalars = Substring(text).unicodeScalars[...]
        if let sign = scalars.first, sign == "+" || sign == "-" { scalars = scalars.dropFirst() }
        let integerDigits = scalars.prefix(while: isASCIIDigit).count
        scalars = scalars.dropFirst(integerDigits)
        var fractionDigits = 0
        if scalars.first == "." {
            scalars = scalars.dropFirst()
            fractionDigits = scalars.prefix(while: isASCIIDigit).count
            scalars = scalars.dropFirst(fractionDigits)
        }
        guard integerDigits + fractionDigits > 0 else { return nil }
        if let marker = scalars.first, marker == "e" || marker == "E" {
            scalars = scalars.dropFirst()
            if let sign = scalars.first, sign == "+" || sign == "-" { scalars = scalars.dropFirst() }
            let exponentDigits = scalars.prefix(while: isASCIIDigit).count
            guard exponentDigits > 0 else { return nil }
            scalars = scalars.dropFirst(exponentDigits)
        }
        guard scalars.isEmpty, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}

/// One token of the CLIPS subset with its 0-based `Character` offset.
struct ClipsToken: Equatable {
    enum Kind: Equatable {
        case open, close, pipe, arrow, end
        case comparison(ComparisonOperator)
        /// `?name`, stored without the `?`.
        case variable(String)
        /// A double-quoted string, escapes resolved.
        case string(String)
        /// A bare symbol or number, as written.
        case bare(String)
    }

    var kind: Kind
    var offset: Int
}

/// Splits CLIPS-subset text into ``ClipsToken``s, skipping whitespace and `;` comments.
enum ClipsLexer {
    /// Characters that end a bare symbol.
    private static let delimiters: Set<Character> = ["(", ")", "|", "\"", ";", "&", "~"]

    static func tokenize(_ text: String) throws(ClipsSyntaxError) -> [ClipsToken] {
        let characters = Array(text)
        var tokens: [ClipsToken] = []
        var position = 0
        func peek(_ ahead: Int) -> Character? {
            position + ahead < characters.count ? characters[position + ahead] : nil
        }
        func fail(_ message: String) -> ClipsSyntaxError { ClipsSyntaxError(offset: position, message: message) }
        while position < characters.count {
            let character = characters[position]
            let start = position
            var kind: ClipsToken.Kind
            switch character {
            case _ where character.isWhitespace:
                position += 1
                continue
            case ";":
                while position < characters.count, !characters[position].isNewline { position += 1 }
                continue
            case "(": kind = .open; position += 1
            case ")": kind = .close; position += 1
            case "|": kind = .pipe; position += 1
            case "&", "~":
                throw fail("connective constraints (`&`, `~`) are not supported; use alternatives v1|v2 or a separate (not ...) pattern")
            case "$":
                throw fail("multifield variables like $?x are not supported; use single-slot variables like ?x")
            case "?":
                var name = ""
                position += 1
                while let next = peek(0), next.isASCII, next.isLetter || next.isNumber || next == "_" || next == "-" {
                    name.append(next)
                    position += 1
                }
                guard let first = name.first, first.isLetter || first == "_" else {
                    position = start
                    throw fail("the anonymous wildcard `?` is not supported; name the variable, as in ?x")
                }
                kind = .variable(name)
            case "<":
                switch peek(1) {
                case "-": kind = .arrow; position += 2
                case "=": kind = .comparison(.le); position += 2
                default: kind = .comparison(.lt); position += 1
                }
            case ">":
                if peek(1) == "=" { kind = .comparison(.ge); position += 2 } else { kind = .comparison(.gt); position += 1 }
            case "=":
                kind = .comparison(.eq); position += 1
            case "!":
                guard peek(1) == "=" else { throw fail("`!` is only valid in `!=`") }
                kind = .comparison(.ne); position += 2
            case "\"":
                kind = .string(try readString(characters, from: &position))
            default:
                var symbol = ""
                while let next = peek(0), !next.isWhitespace, !delimiters.contains(next) {
                    symbol.append(next)
                    position += 1
                }
                kind = .bare(symbol)
            }
            tokens.append(ClipsToken(kind: kind, offset: start))
        }
        tokens.append(ClipsToken(kind: .end, offset: characters.count))
        return tokens
    }

    /// Reads a `"…"` string starting at its opening quote; only `\"` and `\\` escapes exist.
    private static func readString(_ characters: [Character], from position: inout Int) throws(ClipsSyntaxError) -> String {
        let start = position
        var text = ""
        position += 1
        while position < characters.count {
            switch characters[position] {
            case "\"":
                position += 1
                return text
            case "\\":
                guard position + 1 < characters.count, characters[position + 1] == "\"" || characters[position + 1] == "\\" else {
                    throw ClipsSyntaxError(offset: position, message: "unsupported escape in string: only \\\" and \\\\ are allowed")
                }
                text.append(characters[position + 1])
                position += 2
            default:
                text.append(characters[position])
                position += 1
            }
        }
        throw ClipsSyntaxError(offset: start, message: "unterminated string: add the closing `\"`")
    }
}
