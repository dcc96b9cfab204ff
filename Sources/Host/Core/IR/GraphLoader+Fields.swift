/// Typed reads of YAML nodes for the graph decoder: each read records an error at the node
/// (saying what was expected) and returns `nil` when the node does not fit.
extension GraphDecoder {
    /// How to write a required key, for "missing key" messages.
    static let requiredKeyExamples = [
        "ir_version": "ir_version: \"1.0.0\"", "id": "id: my-id", "nodes": "nodes: [{id: start, kind: echo}]",
        "kind": "kind: echo", "when": "when: {node: start}", "then": "then: [{kind: halt}]",
        "targets": "targets: [a, b]", "join": "join: after", "type": "type: str", "prompt": "prompt: \"Continue?\"",
    ]

    /// The values of mapping `node` by key. Records an error for a non-mapping, for every key
    /// not in `allowed` (using `hints[key]` as the whole message when given), and for every
    /// missing `required` key (at the mapping). Returns `[:]` for a non-mapping.
    mutating func fields(
        of node: YAMLNode, what: String, allowed: [String], required: [String] = [], hints: [String: String] = [:]
    ) -> [String: YAMLNode] {
        guard let pairs = node.mappingPairs else {
            diagnostics.error(at: node, "\(what) must be a mapping (with keys \(allowed.joined(separator: ", "))), not a \(node.kindName)")
            return [:]
        }
        var values: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            guard let name = key.scalarText else { continue }  // the parser already rejected it
            if allowed.contains(name) {
                values[name] = value
            } else if let hint = hints[name] {
                diagnostics.error(at: key, hint)
            } else {
                diagnostics.error(at: key, "unknown key '\(name)' in \(what)\(Suggestion.didYouMean(name, among: allowed)); allowed keys: \(allowed.joined(separator: ", "))")
            }
        }
        for name in required where values[name] == nil {
            let example = Self.requiredKeyExamples[name].map { ", e.g. \($0)" } ?? ""
            diagnostics.error(at: node, "\(what) is missing the required key '\(name)'; add it\(example)")
        }
        return values
    }

    /// A scalar's text. Strings and numbers are accepted as written; null, booleans and
    /// collections are errors.
    mutating func text(_ node: YAMLNode, what: String) -> String? {
        switch node.toJSON() {
        case .string, .number: return node.scalarText
        case let other:
            diagnostics.error(at: node, "\(what) must be a string, not \(other == .null ? "empty (null)" : "a \(node.kindName)"); write it as text (quote it if needed)")
            return nil
        }
    }

    mutating func nonEmptyText(_ node: YAMLNode, what: String) -> String? {
        guard let value = text(node, what: what) else { return nil }
        guard !value.isEmpty else {
            diagnostics.error(at: node, "\(what) must not be empty")
            return nil
        }
        return value
    }

    /// A whole number `>= minimum`.
    mutating func integer(_ node: YAMLNode, what: String, atLeast minimum: Int) -> Int? {
        guard let value = node.toJSON().intValue, value >= minimum else {
            diagnostics.error(at: node, "\(what) must be a whole number >= \(minimum), not '\(node.scalarText ?? node.kindName)'")
            return nil
        }
        return value
    }

    /// A whole number of milliseconds from 0 to ``DurationLimit/maximumMilliseconds``.
    mutating func milliseconds(_ node: YAMLNode, what: String) -> Int? {
        guard let value = integer(node, what: what, atLeast: 0) else { return nil }
        guard value <= DurationLimit.maximumMilliseconds else {
            diagnostics.error(at: node, "\(what) must be at most \(DurationLimit.maximumMilliseconds) (\(DurationLimit.description)), not \(value)")
            return nil
        }
        return value
    }

    /// The items of a sequence (at least one unless `allowEmpty`).
    mutating func sequence(_ node: YAMLNode, what: String, allowEmpty: Bool) -> [YAMLNode]? {
        guard let items = node.sequenceItems else {
            diagnostics.error(at: node, "\(what) must be a sequence (a '- item' list), not a \(node.kindName)")
            return nil
        }
        if items.isEmpty, !allowEmpty {
            diagnostics.error(at: node, "\(what) must not be empty; list at least one item")
            return nil
        }
        return items
    }

    /// A mapping as a JSON object; null (an empty value) reads as `{}`.
    mutating func jsonObject(_ node: YAMLNode, what: String) -> JSONValue? {
        switch node.toJSON() {
        case .null: return .object([:])
        case .object(let members) where node.mappingPairs != nil: return .object(members)
        default:
            diagnostics.error(at: node, "\(what) must be a mapping, not a \(node.kindName)")
            return nil
        }
    }

    /// An id of a node, rule or parallel block: `^[a-z0-9][a-z0-9_\-.]{0,127}$`. An invalid id
    /// is recorded as an error but still returned, so references to it do not cascade.
    mutating func identifier(_ node: YAMLNode, what: String) -> String? {
        guard let value = text(node, what: what) else { return nil }
        guard Self.isValidIdentifier(value) else {
            diagnostics.error(at: node, "\(what) '\(value)' is invalid; use 1-128 characters from a-z, 0-9, '_', '-' and '.', starting with a lowercase letter or digit")
            return value
        }
        return value
    }

    /// A graph id: `^[A-Za-z0-9][A-Za-z0-9_\-.:]{0,127}$` (`run:hello`, `plugin:graph`), so it is
    /// safe in URLs, paths, logs and metrics labels.
    mutating func graphIdentifier(_ node: YAMLNode) -> String? {
        guard let value = nonEmptyText(node, what: "the graph id") else { return nil }
        guard Self.isValidGraphIdentifier(value) else {
            let shown = value.count > 40 ? "\(value.prefix(40))… (\(value.utf8.count) bytes)" : value
            diagnostics.error(at: node, "the graph id '\(shown)' is invalid; use 1-128 characters from A-Z, a-z, 0-9, '_', '-', '.' and ':', starting with a letter or digit (e.g. \"team:triage\")")
            return nil
        }
        return value
    }

    static func isValidIdentifier(_ value: String) -> Bool {
        isValid(value, uppercase: false, inner: "_-.")
    }

    static func isValidGraphIdentifier(_ value: String) -> Bool {
        isValid(value, uppercase: true, inner: "_-.:")
    }

    /// 1-128 bytes of ASCII lowercase letters (and uppercase ones when `uppercase`) and digits,
    /// with `inner` characters allowed after the first.
    private static func isValid(_ value: String, uppercase: Bool, inner: String) -> Bool {
        let bytes = Array(value.utf8)
        let innerBytes = Set(inner.utf8)
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): uppercase
            default: !first && innerBytes.contains(byte)
            }
        }
        guard let first = bytes.first, bytes.count <= 128, allowed(first, first: true) else { return false }
        return bytes.dropFirst().allSatisfy { allowed($0, first: false) }
    }

    /// Where the character at `offset` (0-based, in characters) of scalar `node`'s text is in
    /// the source. Exact for single-line scalars written without escapes; otherwise the
    /// scalar's own mark.
    func mark(in node: YAMLNode, atOffset offset: Int) -> SourceMark {
        guard case .scalar(let text, let isPlain, _) = node.content, node.mark.line == node.endMark.line else { return node.mark }
        let quotes = isPlain ? 0 : 2
        guard node.endMark.column - node.mark.column == text.unicodeScalars.count + quotes else { return node.mark }
        let clamped = max(0, min(offset, text.count))
        let scalarsBefore = text.prefix(clamped).unicodeScalars.count
        return SourceMark(line: node.mark.line, column: node.mark.column + scalarsBefore + quotes / 2)
    }
}

/// "Did you mean" hints for misspelled names: of node kinds and fields in graphs, of commands in
/// the CLI.
public enum Suggestion {
    /// `" (did you mean 'x'?)"` for the closest candidate, or `""` when none is close.
    package static func didYouMean(_ word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The candidate closest to `word` by edit distance (case-insensitive), when it is close
    /// enough to be a plausible typo; a candidate whose last dotted component equals `word`
    /// (`fetch` → `web.fetch`) also counts.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        if let qualified = candidates.first(where: { $0.split(separator: ".").last.map(String.init) == word && $0 != word }) {
            return qualified
        }
        // One edit per three characters, at least one from three characters on: shorter words
        // match almost anything, so they only get case-insensitive matches.
        let limit = lowered.count < 3 ? 0 : max(1, lowered.count / 3)
        let scored = candidates.map { (candidate: $0, distance: editDistance(lowered, $0.lowercased())) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= limit else { return nil }
        return best.candidate
    }

    /// Edit distance over characters where insertions, deletions, substitutions and swaps of
    /// two neighbours each cost 1 (optimal string alignment), so `ehco` is 1 from `echo`.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs), b = Array(rhs)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
