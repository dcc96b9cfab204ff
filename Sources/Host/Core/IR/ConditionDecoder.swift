/// Rule conditions (`when:`), in both forms: a CLIPS-subset string, or a conjunctive mapping
/// `{node: X, fact: {TEMPLATE: {slot: v}}, <state field>: literal | {operator: v}}`.
extension GraphDecoder {
    static let slotOperators = ComparisonOperator.allCases.map(\.rawValue) + ["in", "contains", "exists"]
    /// Operator spellings from other languages, mapped to the one to suggest.
    static let operatorSynonyms: [String: String] = [
        "==": "eq", "=": "eq", "!=": "ne", "neq": "ne", ">": "gt", ">=": "ge", "gte": "ge", "<": "lt", "<=": "le", "lte": "le",
        "one_of": "in", "oneof": "in", "has": "contains", "defined": "exists",
    ]

    /// Decodes `when`; records errors and returns `nil` when it does not compile.
    mutating func decodeCondition(_ node: YAMLNode) -> Condition? {
        if node.mappingPairs != nil { return decodeMappingCondition(node) }
        guard case .string(let text) = node.toJSON() else {
            diagnostics.error(at: node, "when must be a CLIPS string such as \"(initial-fact)\" or a mapping such as {node: X}, not a \(node.kindName)")
            return nil
        }
        let condition: Condition
        do {
            condition = try ClipsParser.parseCondition(text)
        } catch {
            diagnostics.error(at: mark(in: node, atOffset: error.offset), "cannot parse the when condition: \(error.message)")
            return nil
        }
        return checkReferences(in: condition.patterns, writtenAs: node) ? condition : nil
    }

    /// Checks that `(node-id (id X))` names nodes and `(state (f …))` names declared fields.
    mutating func checkReferences(in patterns: [Pattern], writtenAs node: YAMLNode) -> Bool {
        let text = node.scalarText ?? ""
        var valid = true
        for pattern in patterns {
            for slotTest in pattern.slots {
                switch (pattern.template, slotTest.slot, slotTest.test) {
                case ("node-id", "id", .textOneOf(let ids)):
                    for id in ids where !checkNodeExists(id, at: mark(of: id, in: text, node: node), what: "node-id pattern id") {
                        valid = false
                    }
                case ("node-id", "id", .compare(.eq, .string(let id))):
                    valid = checkNodeExists(id, at: mark(of: id, in: text, node: node), what: "node-id pattern id") && valid
                case ("state", let field, _) where !scope.fieldNames.contains(field):
                    diagnostics.error(at: mark(of: field, in: text, node: node), "(state (\(field) …)) tests '\(field)', which is not a declared state field; declare it under state_schema")
                    valid = false
                case ("node-id", let slot, _) where slot != "id", ("initial-fact", let slot, _):
                    // The host asserts these facts itself, with exactly these slots: any other
                    // slot would never match.
                    let slots = pattern.template == "node-id" ? "its only slot is id" : "it has no slots"
                    let hint = pattern.template == "node-id" ? Suggestion.didYouMean(slot, among: ["id"]) : ""
                    diagnostics.error(at: mark(of: slot, in: text, node: node), "(\(pattern.template) (\(slot) …)) tests the slot '\(slot)'\(hint), which \(pattern.template) facts never have; \(slots)")
                    valid = false
                default:
                    break
                }
            }
        }
        return valid
    }

    /// The mark of the first occurrence of `word` in a scalar's text (the scalar's mark when
    /// it cannot be located).
    private func mark(of word: String, in text: String, node: YAMLNode) -> SourceMark {
        guard let range = text.range(of: word) else { return node.mark }
        return mark(in: node, atOffset: text.distance(from: text.startIndex, to: range.lowerBound))
    }

    private mutating func decodeMappingCondition(_ node: YAMLNode) -> Condition? {
        let pairs = node.mappingPairs ?? []
        guard !pairs.isEmpty else {
            diagnostics.error(at: node, "when is empty; write a condition such as {node: X} or \"(initial-fact)\"")
            return nil
        }
        var patterns: [Pattern] = []
        var stateTests: [SlotTest] = []
        var statePatternIndex: Int?
        var valid = true
        for (key, value) in pairs {
            guard let name = key.scalarText else { continue }
            switch name {
            case "node":
                if let id = nodeReference(value, what: "when.node") {
                    patterns.append(Pattern(template: "node-id", slots: [SlotTest(slot: "id", test: .compare(.eq, .string(id)))]))
                } else {
                    valid = false
                }
            case "fact":
                if let factPatterns = factPatterns(value) { patterns += factPatterns } else { valid = false }
            default:
                guard scope.fieldNames.contains(name) else {
                    let candidates = scope.fieldNames.sorted() + ["node", "fact"]
                    diagnostics.error(at: key, "'\(name)' in when is not a declared state field\(Suggestion.didYouMean(name, among: candidates)); declare it under state_schema, or use node: / fact:")
                    valid = false
                    continue
                }
                guard let tests = slotTests(slot: name, value) else { valid = false; continue }
                if statePatternIndex == nil {
                    statePatternIndex = patterns.count
                    patterns.append(Pattern(template: "state"))
                }
                stateTests += tests
            }
        }
        if let statePatternIndex { patterns[statePatternIndex].slots = stateTests }
        return valid ? Condition(patterns: patterns) : nil
    }

    /// `fact: {TEMPLATE: {slot: v | {op: v}}, …}` → one pattern per template.
    private mutating func factPatterns(_ node: YAMLNode) -> [Pattern]? {
        guard let templates = node.mappingPairs, !templates.isEmpty else {
            diagnostics.error(at: node, "when.fact must be a mapping of fact templates to slot tests, e.g. fact: {ticket: {status: open}}")
            return nil
        }
        var patterns: [Pattern] = []
        var valid = true
        for (template, slots) in templates {
            guard let name = template.scalarText else { continue }
            if let pattern = slotPattern(template: name, slots, what: "fact '\(name)'") { patterns.append(pattern) } else { valid = false }
        }
        return valid ? patterns : nil
    }

    /// A pattern `(TEMPLATE (slot …) …)` from a mapping of slot tests (`null` = no slot tests).
    mutating func slotPattern(template: String, _ node: YAMLNode, what: String) -> Pattern? {
        if case .null = node.toJSON() { return Pattern(template: template) }
        guard let slots = node.mappingPairs else {
            diagnostics.error(at: node, "the slots of \(what) must be a mapping of slot names to values or operator mappings, not a \(node.kindName)")
            return nil
        }
        var tests: [SlotTest] = []
        var valid = true
        for (slot, value) in slots {
            guard let name = slot.scalarText else { continue }
            if let slotTests = slotTests(slot: name, value) { tests += slotTests } else { valid = false }
        }
        return valid ? Pattern(template: template, slots: tests) : nil
    }

    /// A literal (equality) or a mapping of operators `eq ne gt ge lt le in contains exists`.
    private mutating func slotTests(slot: String, _ node: YAMLNode) -> [SlotTest]? {
        guard let operators = node.mappingPairs else {
            return [SlotTest(slot: slot, test: .compare(.eq, node.toJSON()))]
        }
        guard !operators.isEmpty else {
            diagnostics.error(at: node, "the test of '\(slot)' is an empty mapping; write a value, or operators such as {gt: 3}")
            return nil
        }
        var tests: [SlotTest] = []
        var valid = true
        for (key, value) in operators {
            guard let name = key.scalarText else { continue }
            if let test = slotTest(operator: name, at: key, value) {
                tests.append(SlotTest(slot: slot, test: test))
            } else {
                valid = false
            }
        }
        return valid ? tests : nil
    }

    private mutating func slotTest(operator name: String, at key: YAMLNode, _ value: YAMLNode) -> SlotTest.Test? {
        let literal = value.toJSON()
        if let comparison = ComparisonOperator(rawValue: name) {
            switch (comparison, literal) {
            case (.eq, _), (.ne, _), (_, .number), (_, .string): return .compare(comparison, literal)
            default:
                diagnostics.error(at: value, "'\(name)' orders numbers or strings, not a \(value.kindName); compare with a number or a string")
                return nil
            }
        }
        switch (name, literal) {
        case ("in", .array(let options)): return .oneOf(options)
        case ("contains", _): return .contains(literal)
        case ("exists", .bool(let flag)): return .exists(flag)
        case ("in", _):
            diagnostics.error(at: value, "'in' needs a sequence of allowed values, e.g. in: [a, b], not a \(value.kindName)")
        case ("exists", _):
            diagnostics.error(at: value, "'exists' needs true or false, not a \(value.kindName)")
        default:
            let hint = Self.operatorSynonyms[name.lowercased()].map { " (did you mean '\($0)'?)" }
                ?? Suggestion.didYouMean(name, among: Self.slotOperators)
            diagnostics.error(at: key, "unknown operator '\(name)'\(hint); use one of \(Self.slotOperators.joined(separator: ", "))")
        }
        return nil
    }
}
