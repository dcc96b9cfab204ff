/// The `rules:` section: `{id, when, then: [action…], description?}` per rule.
extension GraphDecoder {
    static let ruleKeys = ["id", "when", "then", "description"]

    /// Decodes every rule; rules with errors are left out (the errors are recorded).
    mutating func decodeRules(_ items: [YAMLNode]) -> [Rule] {
        var rules: [Rule] = []
        var firstSeen: [String: SourceMark] = [:]
        for item in items {
            let fields = fields(of: item, what: "a rule", allowed: Self.ruleKeys, required: ["id", "when", "then"])
            guard !fields.isEmpty else { continue }
            var id: String?
            if let idNode = fields["id"], let value = identifier(idNode, what: "rule id") {
                if let first = firstSeen[value] {
                    diagnostics.error(at: idNode, "duplicate rule id '\(value)' (first defined at line \(first.line), column \(first.column)); rule ids must be unique, so rename one")
                } else {
                    firstSeen[value] = idNode.mark
                    id = value
                }
            }
            if let description = fields["description"] { _ = text(description, what: "rule description") }
            let condition = fields["when"].flatMap { decodeCondition($0) }
            let actions = fields["then"].flatMap { decodeActions($0) }
            if let id, let condition, let actions {
                rules.append(Rule(id: id, when: condition, then: actions))
            }
        }
        return rules
    }

    /// `rule_packs:` — a mapping of version name → a sequence of rules, each pack an alternative
    /// to `rules:` that a counterfactual replay can select (`rule_pack_version`).
    mutating func decodeRulePackSources(_ node: YAMLNode) -> [String: [YAMLNode]] {
        guard let pairs = node.mappingPairs else {
            diagnostics.error(at: node, "rule_packs must be a mapping of version → list of rules, e.g. rule_packs: {v2: [{id: r1, when: ..., then: [...]}]}")
            return [:]
        }
        var packs: [String: [YAMLNode]] = [:]
        for (key, value) in pairs {
            guard let version = nonEmptyText(key, what: "a rule pack version") else { continue }
            packs[version] = sequence(value, what: "rule pack '\(version)'", allowEmpty: true) ?? []
        }
        return packs
    }

    /// `then:` — a non-empty sequence of actions, all valid.
    private mutating func decodeActions(_ node: YAMLNode) -> [Action]? {
        guard let items = sequence(node, what: "then", allowEmpty: false) else { return nil }
        let actions = items.compactMap { decodeAction($0) }
        return actions.count == items.count ? actions : nil
    }
}
