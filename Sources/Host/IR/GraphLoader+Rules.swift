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

    /// `then:` — a non-empty sequence of actions, all valid.
    private mutating func decodeActions(_ node: YAMLNode) -> [Action]? {
        guard let items = sequence(node, what: "then", allowEmpty: false) else { return nil }
        let actions = items.compactMap { decodeAction($0) }
        return actions.count == items.count ? actions : nil
    }
}
