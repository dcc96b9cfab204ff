import StargraphCore
/// What a counterfactual fork changes. Every field is optional and every field is
/// applied; unknown keys, wrong types, and names of nodes, fields or rule packs the graph
/// does not have are errors, so a typo never silently becomes a no-op.
public struct CounterfactualMutation: Sendable, Hashable {
    /// Fields set on the state entering the fork step (replacing, not reducing).
    public var stateOverrides: [String: JSONValue] = [:]
    /// Facts added to working memory before the fork step.
    public var factsAssert: [Fact] = []
    /// Patterns whose matching facts are removed before the fork step.
    public var factsRetract: [Pattern] = []
    /// The `rule_packs:` version the fork runs under instead of `rules:`.
    public var rulePackVersion: String?
    /// node id → patch that replaces that node's output whenever it runs in the fork.
    public var nodeOutputOverrides: [String: [String: JSONValue]] = [:]
    /// Answers for the interrupts the fork meets, in order.
    public var respondPayloads: [JSONValue] = []

    /// The keys a mutation document may have.
    public static let keys: Set<String> = [
        "state_overrides", "facts_assert", "facts_retract", "rule_pack_version", "node_output_overrides", "respond_payloads",
    ]

    public init() {}

    /// Parses a mutation document and checks it against `graph`.
    public init(json: JSONValue, graph: GraphIR) throws(MutationError) {
        guard let members = json.objectValue else {
            throw MutationError("a mutation must be a JSON object, not \(json.typeName)")
        }
        let unknown = Set(members.keys).subtracting(Self.keys).sorted()
        guard unknown.isEmpty else {
            throw MutationError("unknown mutation key(s) \(unknown.joined(separator: ", ")); allowed: \(Self.keys.sorted().joined(separator: ", "))")
        }
        let patching = StatePatching(schema: graph.stateSchema)
        if let value = members["state_overrides"], value != .null {
            stateOverrides = try Self.patch(value, what: "state_overrides", patching: patching)
        }
        if let value = members["facts_assert"], value != .null {
            factsAssert = try Self.list(value, what: "facts_assert").enumerated().map { index, item throws(MutationError) in
                try Self.fact(item, what: "facts_assert[\(index)]")
            }
        }
        if let value = members["facts_retract"], value != .null {
            factsRetract = try Self.list(value, what: "facts_retract").enumerated().map { index, item throws(MutationError) in
                try Self.pattern(item, what: "facts_retract[\(index)]")
            }
        }
        if let value = members["rule_pack_version"], value != .null {
            guard let version = value.stringValue else { throw MutationError("rule_pack_version must be a string") }
            guard graph.rulePacks[version] != nil else {
                let known = graph.rulePacks.keys.sorted().joined(separator: ", ")
                throw MutationError("rule_pack_version '\(version)' is not in the graph's rule_packs (\(known.isEmpty ? "it has none" : known))")
            }
            rulePackVersion = version
        }
        if let value = members["node_output_overrides"], value != .null {
            guard let overrides = value.objectValue else { throw MutationError("node_output_overrides must be an object of node id → patch") }
            for (node, patch) in overrides {
                guard graph.node(node) != nil else {
                    throw MutationError("node_output_overrides names node '\(node)', which the graph does not have (nodes: \(graph.nodes.map(\.id).joined(separator: ", ")))")
                }
                nodeOutputOverrides[node] = try Self.patch(patch, what: "node_output_overrides.\(node)", patching: patching)
            }
        }
        if let value = members["respond_payloads"], value != .null {
            respondPayloads = try Self.list(value, what: "respond_payloads")
            for (index, payload) in respondPayloads.enumerated() {
                _ = try Self.patch(payload, what: "respond_payloads[\(index)]", patching: patching)
            }
        }
    }

    /// The mutation as a document (as stored on the cf run and hashed into `derived_hash`).
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "state_overrides": .object(stateOverrides),
            "facts_assert": .array(factsAssert.map(FactCoding.json)),
            "facts_retract": .array(factsRetract.map(Self.patternJSON)),
            "node_output_overrides": .object(nodeOutputOverrides.mapValues { .object($0) }),
            "respond_payloads": .array(respondPayloads),
        ]
        if let rulePackVersion { members["rule_pack_version"] = .string(rulePackVersion) }
        return .object(members)
    }

    private static func list(_ value: JSONValue, what: String) throws(MutationError) -> [JSONValue] {
        guard let items = value.arrayValue else { throw MutationError("\(what) must be a list, not \(value.typeName)") }
        return items
    }

    private static func patch(_ value: JSONValue, what: String, patching: StatePatching) throws(MutationError) -> [String: JSONValue] {
        guard let patch = value.objectValue else { throw MutationError("\(what) must be an object of state field → value") }
        do {
            try patching.validate(patch, source: what)
        } catch {
            throw MutationError(error.message)
        }
        return patch
    }

    /// A fact as `{"template": T, "slots": {...}}`, or the CLIPS text `(T (slot v) ...)`.
    private static func fact(_ value: JSONValue, what: String) throws(MutationError) -> Fact {
        if let text = value.stringValue {
            let pattern = try pattern(.string(text), what: what)
            var slots: [String: JSONValue] = [:]
            for test in pattern.slots {
                guard case .textOneOf(let alternatives) = test.test, alternatives.count == 1 else {
                    throw MutationError("\(what): a fact's slots must be literal values, not \(test.test)")
                }
                slots[test.slot] = .string(alternatives[0])
            }
            return Fact(template: pattern.template, slots: slots)
        }
        do {
            return try FactCoding.facts(from: .array([value]))[0]
        } catch {
            throw MutationError("\(what): \(error)")
        }
    }

    /// A retract pattern as CLIPS text, or `{"template": T, "slots": {...}}` (slots compared for equality).
    private static func pattern(_ value: JSONValue, what: String) throws(MutationError) -> Pattern {
        if let text = value.stringValue {
            let pattern: Pattern
            do {
                pattern = try ClipsParser.parsePattern(text)
            } catch {
                throw MutationError("\(what): \(error.message)")
            }
            guard !pattern.negated else { throw MutationError("\(what): a (not ...) pattern matches no fact to retract") }
            return pattern
        }
        let fact = try fact(value, what: what)
        return Pattern(template: fact.template, slots: fact.slots.sorted { $0.key < $1.key }.map {
            SlotTest(slot: $0.key, test: .compare(.eq, $0.value))
        })
    }

    private static func patternJSON(_ pattern: Pattern) -> JSONValue {
        var slots: [String: JSONValue] = [:]
        for test in pattern.slots {
            switch test.test {
            case .compare(.eq, let value): slots[test.slot] = value
            case .textOneOf(let alternatives) where alternatives.count == 1: slots[test.slot] = .string(alternatives[0])
            default: slots[test.slot] = .string(String(describing: test.test))
            }
        }
        return ["template": .string(pattern.template), "slots": .object(slots)]
    }
}

/// A mutation that cannot apply to the graph: a usage error (exit 2, HTTP 422).
public struct MutationError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { "invalid mutation: \(message)" }
}
