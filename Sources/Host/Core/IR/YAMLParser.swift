import CYAML

/// Parses one YAML document into a ``YAMLNode`` tree with libyaml's event API. Generic: graph
/// files and plugin manifests both go through it.
///
/// Beyond YAML syntax it guarantees what JSON-shaped consumers rely on: aliases are expanded
/// (copied), mapping keys are scalars and unique, only core-schema tags appear, every scalar
/// fits JSON (no `.inf`/`.nan`, integers within ±2^53), nesting is at most ``maxDepth`` deep
/// and alias expansion stays under ``maxExpandedNodes`` nodes.
public enum YAMLParser {
    /// The deepest nesting of sequences and mappings accepted.
    public static let maxDepth = 200
    /// The most nodes a document may hold once aliases are expanded (stops "billion laughs").
    public static let maxExpandedNodes = 1_000_000

    /// Parses `text` (named `sourceName` in errors). Returns `nil` when the text holds no
    /// document (empty, or only comments). Throws every problem found, each at its
    /// `sourceName:line:column`; a syntax error stops parsing, so it is the last one reported.
    public static func parse(_ text: String, sourceName: String) throws(GraphLoadErrors) -> YAMLNode? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw GraphLoadErrors([GraphLoadError(file: sourceName, line: 1, column: 1, message: "out of memory while starting the YAML parser")])
        }
        defer { yaml_parser_delete(parser) }
        // libyaml wants a non-null pointer even for empty input, hence the terminator.
        let bytes = Array(text.utf8) + [0]
        var builder = YAMLTreeBuilder(diagnostics: LoadDiagnostics(file: sourceName))
        var event = yaml_event_t()
        let failure: GraphLoadErrors? = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count - 1)
            while true {
                guard yaml_parser_parse(parser, &event) == 1 else {
                    let syntax = YAMLSyntaxError(parser: parser.pointee, bytes: buffer, text: text)
                    return GraphLoadErrors(builder.diagnostics.errors + [GraphLoadError(file: sourceName, at: syntax.mark, message: syntax.message)])
                }
                defer { yaml_event_delete(&event) }
                switch builder.handle(event) {
                case .proceed: continue
                case .finished: return nil
                case .abort: return GraphLoadErrors(builder.diagnostics.errors)
                }
            }
        }
        if let failure { throw failure }
        try builder.diagnostics.throwIfAny()
        return builder.root
    }
}

/// Turns libyaml events into a ``YAMLNode`` tree without recursion, checking the guarantees
/// ``YAMLParser`` documents.
struct YAMLTreeBuilder {
    enum Outcome { case proceed, finished, abort }

    /// A sequence or mapping whose end event has not come yet. Children are appended in
    /// place (the stack's last element is mutated directly, so no array is copied).
    private struct OpenCollection {
        var isMapping: Bool
        var mark: SourceMark
        var anchor: String?
        /// This node plus every node below it, aliases expanded.
        var weight = 1
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var pendingKey: YAMLNode?
        var firstSeen: [String: SourceMark] = [:]
    }

    var diagnostics: LoadDiagnostics
    private(set) var root: YAMLNode?
    private var stack: [OpenCollection] = []
    private var anchors: [String: (node: YAMLNode, weight: Int)] = [:]
    private var documents = 0
    private var expandedNodes = 0
    /// How many of ``expandedNodes`` are copies made by aliases.
    private var aliasCopies = 0

    init(diagnostics: LoadDiagnostics) { self.diagnostics = diagnostics }

    mutating func handle(_ event: yaml_event_t) -> Outcome {
        let mark = SourceMark(event.start_mark)
        let endMark = SourceMark(event.end_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return .finished
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            guard documents == 1 else {
                diagnostics.error(at: mark, "a second YAML document starts here; a file holds exactly one document, so remove this '---' and what follows (or move it to its own file)")
                return .abort
            }
            return .proceed
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                diagnostics.error(at: mark, "alias '*\(name)' refers to no anchor defined before it; define '&\(name)' on an earlier node")
                return .abort
            }
            guard expand(by: anchored.weight, at: mark, copiedByAlias: true) else { return .abort }
            return attach(YAMLNode(content: anchored.node.content, mark: mark, endMark: endMark), weight: anchored.weight, anchor: nil)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let tag = Self.string(scalar.tag)
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            checkScalar(text: text, isPlain: isPlain, tag: tag, at: mark)
            guard expand(by: 1, at: mark) else { return .abort }
            let node = YAMLNode(content: .scalar(text: text, isPlain: isPlain, tag: tag), mark: mark, endMark: endMark)
            return attach(node, weight: 1, anchor: Self.string(scalar.anchor))
        case YAML_SEQUENCE_START_EVENT:
            checkCollectionTag(Self.string(event.data.sequence_start.tag), expected: "seq", at: mark)
            return open(isMapping: false, at: mark, anchor: Self.string(event.data.sequence_start.anchor))
        case YAML_MAPPING_START_EVENT:
            checkCollectionTag(Self.string(event.data.mapping_start.tag), expected: "map", at: mark)
            return open(isMapping: true, at: mark, anchor: Self.string(event.data.mapping_start.anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let open = stack.popLast() else { return .proceed }
            let content: YAMLNode.Content = open.isMapping ? .mapping(open.pairs) : .sequence(open.items)
            return attach(YAMLNode(content: content, mark: open.mark, endMark: endMark), weight: open.weight, anchor: open.anchor)
        default:
            return .proceed
        }
    }

    /// Counts `count` more nodes in the expanded document; `false` (error recorded) past the
    /// limit, which bounds the memory one file can take. The message says whether aliases
    /// (copied on expansion) or the file's own size reached it.
    private mutating func expand(by count: Int, at mark: SourceMark, copiedByAlias: Bool = false) -> Bool {
        expandedNodes += count
        if copiedByAlias { aliasCopies += count }
        guard expandedNodes <= YAMLParser.maxExpandedNodes else {
            let limit = "more than \(YAMLParser.maxExpandedNodes) nodes, the most one YAML file may hold (a bound on the memory it can take)"
            diagnostics.error(at: mark, aliasCopies == 0
                ? "the document has \(limit); split it into smaller files"
                : "the document expands to \(limit): it writes \(expandedNodes - aliasCopies) nodes and its aliases copy "
                    + "\(aliasCopies) more; reduce the use of aliases")
            return false
        }
        return true
    }

    private mutating func open(isMapping: Bool, at mark: SourceMark, anchor: String?) -> Outcome {
        guard expand(by: 1, at: mark) else { return .abort }
        guard stack.count < YAMLParser.maxDepth else {
            diagnostics.error(at: mark, "nesting is deeper than \(YAMLParser.maxDepth) levels; flatten the structure")
            return .abort
        }
        stack.append(OpenCollection(isMapping: isMapping, mark: mark, anchor: anchor))
        return .proceed
    }

    /// Places a finished node into its parent (or makes it the root).
    private mutating func attach(_ node: YAMLNode, weight: Int, anchor: String?) -> Outcome {
        if let anchor { anchors[anchor] = (node, weight) }
        guard !stack.isEmpty else {
            root = Self.isEmptyDocument(node) ? nil : node
            return .proceed
        }
        let top = stack.count - 1
        stack[top].weight += weight
        if !stack[top].isMapping {
            stack[top].items.append(node)
        } else if let key = stack[top].pendingKey {
            stack[top].pairs.append((key, node))
            stack[top].pendingKey = nil
        } else {
            if let text = node.scalarText {
                if let first = stack[top].firstSeen[text] {
                    diagnostics.error(at: node, "duplicate key '\(text)' (first defined at line \(first.line), column \(first.column)); remove or rename one of them")
                } else {
                    stack[top].firstSeen[text] = node.mark
                }
            } else {
                diagnostics.error(at: node, "a mapping key must be a scalar, not a \(node.kindName); use a plain text key")
            }
            stack[top].pendingKey = node
        }
        return .proceed
    }

    private mutating func checkScalar(text: String, isPlain: Bool, tag: String?, at mark: SourceMark) {
        if let tag, !ScalarResolution.scalarTags.contains(tag) {
            diagnostics.error(at: mark, Self.unsupportedTagMessage(tag))
            return
        }
        switch ScalarResolution.resolve(text: text, isPlain: isPlain, tag: tag) {
        case .invalid(let problem):
            diagnostics.error(at: mark, "\(problem); fix the value or remove the tag")
        case .number(let number) where !number.isFinite:
            diagnostics.error(at: mark, "'\(text)' is not a finite number and JSON cannot hold it; use a finite number, or quote it to make it text")
        case .number(let number) where !ScalarResolution.isExact(number):
            diagnostics.error(at: mark, "integer '\(text)' is beyond ±2^53 and would lose precision; use a smaller number, or quote it to make it text")
        default:
            break
        }
    }

    private mutating func checkCollectionTag(_ tag: String?, expected: String, at mark: SourceMark) {
        if let tag, tag != "!", tag != ScalarResolution.tagPrefix + expected {
            diagnostics.error(at: mark, Self.unsupportedTagMessage(tag))
        }
    }

    private static func unsupportedTagMessage(_ tag: String) -> String {
        let shown = tag.hasPrefix(ScalarResolution.tagPrefix) ? "!!" + tag.dropFirst(ScalarResolution.tagPrefix.count) : Substring(tag)
        return "unsupported YAML tag '\(shown)'; remove it (only !!str, !!int, !!float, !!bool, !!null, !!seq and !!map are allowed)"
    }

    /// A document that is only `---` parses as one empty plain scalar: treat it as no document.
    private static func isEmptyDocument(_ node: YAMLNode) -> Bool {
        if case .scalar("", true, nil) = node.content { return true }
        return false
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

extension SourceMark {
    /// Converts libyaml's 0-based mark.
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

/// A libyaml syntax error, located and reworded so the user knows what to change.
struct YAMLSyntaxError {
    var mark: SourceMark
    var message: String

    init(parser: yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>, text: String) {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        let context = parser.context.map { String(cString: $0) }
        let contextMark = SourceMark(parser.context_mark)
        if parser.error == YAML_READER_ERROR {
            // Reader errors carry a byte offset, not a mark.
            mark = Self.mark(ofByteOffset: min(parser.problem_offset, bytes.count), in: bytes)
            message = "the text is not valid YAML input (\(problem)); the file must be UTF-8 text without control characters"
            return
        }
        mark = SourceMark(parser.problem_mark)
        let offending = Self.character(at: mark, in: text)
        message = Self.explain(problem: problem, context: context, contextMark: contextMark, offending: offending)
    }

    private static func explain(problem: String, context: String?, contextMark: SourceMark, offending: Unicode.Scalar?) -> String {
        let started = "line \(contextMark.line), column \(contextMark.column)"
        switch problem {
        case _ where offending == "\t" || problem.contains("tab character"):
            return "a tab character is used for indentation here; YAML indents with spaces only, so replace the tab with spaces"
        case "found unexpected end of stream" where context?.contains("quoted scalar") == true:
            return "the quoted string that starts at \(started) is never closed; add the closing quote"
        case "mapping values are not allowed in this context":
            return "unexpected ':' here: a value cannot itself start a mapping on the same line; quote the text if it contains ': ', or put the nested mapping on its own indented lines"
        case "did not find expected key":
            return "bad indentation: this line does not line up with the keys of the mapping started at \(started); indent it like its sibling keys"
        case "did not find expected '-' indicator":
            return "bad indentation: expected a '- ' list item here, in line with the list started at \(started); fix the indentation"
        case "did not find expected ',' or ']'":
            return "the flow sequence '[' started at \(started) is not closed; add ',' between items and a closing ']'"
        case "did not find expected ',' or '}'":
            return "the flow mapping '{' started at \(started) is not closed; add ',' between entries and a closing '}'"
        case "found character that cannot start any token":
            let shown = offending.map { "'\($0.escaped(asASCII: false))'" } ?? "this character"
            return "\(shown) cannot start a YAML value; quote the value"
        case "found unexpected ':'":
            return "unexpected ':' inside a value; put a space after ':' to start a mapping value, or quote the text"
        case "found unknown escape character":
            return "unknown escape sequence in a double-quoted string; write '\\\\' for a backslash, or use single quotes"
        default:
            let within = context.map { " (\($0) started at \(started))" } ?? ""
            return "YAML syntax error: \(problem)\(within)"
        }
    }

    /// The character at a 1-based mark (libyaml counts columns in characters).
    private static func character(at mark: SourceMark, in text: String) -> Unicode.Scalar? {
        let lines = text.unicodeScalars.split(separator: "\n", maxSplits: mark.line, omittingEmptySubsequences: false)
        guard mark.line - 1 < lines.count else { return nil }
        let line = lines[mark.line - 1]
        guard mark.column - 1 < line.count else { return nil }
        return line[line.index(line.startIndex, offsetBy: mark.column - 1)]
    }

    /// Line and column (in characters) of a byte offset into UTF-8 input.
    private static func mark(ofByteOffset offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> SourceMark {
        var line = 1
        var column = 1
        for byte in bytes[..<offset] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceMark(line: line, column: column)
    }
}
