/// Matches ``Condition``s and ``Pattern``s against one working-memory snapshot.
///
/// Semantics:
/// - A condition holds when its patterns can all be satisfied at once. Positive patterns are
///   tried in order, each against every fact of its template (backtracking); a variable `?x`
///   binds on its first use and later uses must be JSON-equal.
/// - A negated pattern holds when no fact matches it under the bindings made so far; variables
///   first seen inside it stay local to it.
/// - A slot the fact lacks reads as `null`. The `?v <-` address binding does not constrain
///   matching.
package struct PatternMatcher {
    package typealias Bindings = [String: JSONValue]

    /// The snapshot, scanned in order for each pattern. Working memory holds a handful of facts,
    /// so a scan that skips other templates costs less than grouping them into a dictionary at
    /// every evaluation (docs/performance.md).
    private let facts: [Fact]

    package init(facts: [Fact]) {
        self.facts = facts
    }

    /// Whether some assignment of facts satisfies every pattern of `condition`.
    package func holds(_ condition: Condition) -> Bool {
        satisfy(condition.patterns[...], bindings: [:])
    }

    private func satisfy(_ patterns: ArraySlice<Pattern>, bindings: Bindings) -> Bool {
        guard let pattern = patterns.first else { return true }
        let rest = patterns.dropFirst()
        // `match` rejects facts of other templates first.
        if pattern.negated {
            let blocked = facts.contains { Self.match(pattern, against: $0, bindings: bindings) != nil }
            return !blocked && satisfy(rest, bindings: bindings)
        }
        return facts.contains { fact in
            guard let extended = Self.match(pattern, against: fact, bindings: bindings) else { return false }
            return satisfy(rest, bindings: extended)
        }
    }

    /// The bindings extended by matching `pattern`'s slot tests (its template is not checked
    /// here beyond equality) against `fact`, or `nil` when the fact does not match.
    package static func match(_ pattern: Pattern, against fact: Fact, bindings: Bindings) -> Bindings? {
        guard fact.template == pattern.template else { return nil }
        var extended = bindings
        for slotTest in pattern.slots {
            let value = fact.slots[slotTest.slot] ?? .null
            guard passes(slotTest.test, value: value, bindings: &extended) else { return nil }
        }
        return extended
    }

    /// Whether `value` satisfies `test`; a `.variable` test binds into `bindings` on first use.
    package static func passes(_ test: SlotTest.Test, value: JSONValue, bindings: inout Bindings) -> Bool {
        switch test {
        case .compare(let comparison, let literal):
            return compare(value, comparison, literal)
        case .oneOf(let literals):
            return literals.contains(value)
        case .contains(let needle):
            return contains(value, needle)
        case .exists(let expected):
            return (value != .null) == expected
        case .textOneOf(let alternatives):
            return alternatives.contains { textMatches(value, $0) }
        case .variable(let name):
            if let bound = bindings[name] { return bound == value }
            bindings[name] = value
            return true
        }
    }

    /// `eq`/`ne` by JSON equality; ordering numerically for two numbers, lexicographically
    /// (Swift `String` order) for two strings, `false` for any other pair.
    package static func compare(_ value: JSONValue, _ comparison: ComparisonOperator, _ literal: JSONValue) -> Bool {
        switch comparison {
        case .eq: return value == literal
        case .ne: return value != literal
        case .gt, .ge, .lt, .le:
            switch (value, literal) {
            case (.number(let left), .number(let right)): return ordered(left, comparison, right)
            case (.string(let left), .string(let right)): return ordered(left, comparison, right)
            default: return false
            }
        }
    }

    private static func ordered<T: Comparable>(_ left: T, _ comparison: ComparisonOperator, _ right: T) -> Bool {
        switch comparison {
        case .gt: left > right
        case .ge: left >= right
        case .lt: left < right
        case .le: left <= right
        case .eq: left == right
        case .ne: left != right
        }
    }

    /// Substring for two strings (the empty string is in every string), element for an array.
    private static func contains(_ value: JSONValue, _ needle: JSONValue) -> Bool {
        switch (value, needle) {
        case (.string(let text), .string(let part)): return part.isEmpty || text.contains(part)
        case (.array(let elements), _): return elements.contains(needle)
        default: return false
        }
    }

    /// CLIPS text comparison: `value` rendered by ``text(of:)`` equals `alternative`; a boolean
    /// also equals the CLIPS symbols `TRUE`/`FALSE`, and a number also equals any number
    /// literal of the same value (so `3`, `3.0` and `3e0` all match 3).
    package static func textMatches(_ value: JSONValue, _ alternative: String) -> Bool {
        switch value {
        case .bool(let flag) where alternative == (flag ? "TRUE" : "FALSE"):
            return true
        case .number(let number) where ClipsLiteral.number(from: alternative) == number:
            return true
        default:
            return text(of: value) == alternative
        }
    }

    /// A value as CLIPS text: strings raw, `null` as `nil`, booleans `true`/`false`, numbers by
    /// ``CanonicalJSON/formatNumber(_:)``, arrays and objects as canonical JSON.
    package static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: "nil"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): CanonicalJSON.formatNumber(number)
        case .array, .object: CanonicalJSON.encode(value)
        }
    }
}
