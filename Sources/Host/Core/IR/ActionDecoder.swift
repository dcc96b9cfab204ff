/// Rule actions (`then:` items) and parallel blocks (the `parallel:` section and `parallel`
/// actions share one decoder).
extension GraphDecoder {
    /// Keys each action kind accepts besides `kind`, and which of them are required.
    static let actionKeys: [String: (allowed: [String], required: [String])] = [
        "goto": (["target"], ["target"]),
        "halt": (["reason"], []),
        "parallel": (["targets", "join", "strategy"], ["targets", "join"]),
        "retry": (["target", "backoff_ms", "max_attempts"], ["target"]),
        "assert": (["fact", "slots"], ["fact"]),
        "retract": (["pattern"], ["pattern"]),
        "interrupt": (["prompt", "interrupt_payload", "timeout", "on_timeout"], ["prompt"]),
    ]
    static let actionKinds = ["goto", "halt", "parallel", "retry", "assert", "retract", "interrupt"]
    /// Templates the engine maintains itself; rules may not assert them.
    static let reservedTemplates: Set<String> = ["node-id", "state", "initial-fact"]

    /// Decodes one action; records errors and returns `nil` when it is invalid.
    mutating func decodeAction(_ node: YAMLNode) -> Action? {
        guard let pairs = node.mappingPairs else {
            diagnostics.error(at: node, "an action must be a mapping with a 'kind' (one of \(Self.actionKinds.joined(separator: ", "))), not a \(node.kindName)")
            return nil
        }
        guard let kindNode = pairs.first(where: { $0.key.scalarText == "kind" })?.value else {
            diagnostics.error(at: node, "the action has no 'kind'; add kind: with one of \(Self.actionKinds.joined(separator: ", "))")
            return nil
        }
        guard let kind = text(kindNode, what: "action kind") else { return nil }
        guard let keys = Self.actionKeys[kind] else {
            diagnostics.error(at: kindNode, "unknown action kind '\(kind)'\(Suggestion.didYouMean(kind, among: Self.actionKinds)); use one of \(Self.actionKinds.joined(separator: ", "))")
            return nil
        }
        let errorsBefore = diagnostics.count
        let fields = fields(of: node, what: "a \(kind) action", allowed: ["kind"] + keys.allowed, required: keys.required)
        let action = decodeAction(kind: kind, fields)
        return diagnostics.count == errorsBefore ? action : nil
    }

    private mutating func decodeAction(kind: String, _ fields: [String: YAMLNode]) -> Action? {
        switch kind {
        case "goto":
            return fields["target"].flatMap { gotoTarget($0, what: "goto target") }.map { .goto(target: $0) }
        case "halt":
            return .halt(reason: fields["reason"].flatMap { text($0, what: "halt reason") })
        case "parallel":
            return decodeParallel(fields, id: nil).map { .parallel($0) }
        case "retry":
            let target = fields["target"].flatMap { nodeReference($0, what: "retry target") }
            let backoff = fields["backoff_ms"].map { milliseconds($0, what: "backoff_ms") } ?? 0
            let attempts = fields["max_attempts"].map { integer($0, what: "max_attempts", atLeast: 1) } ?? 3
            guard let target, let backoff, let attempts else { return nil }
            return .retry(target: target, backoffMs: backoff, maxAttempts: attempts)
        case "assert":
            let template = fields["fact"].flatMap { assertableTemplate($0) }
            let slots = fields["slots"].map { jsonObject($0, what: "assert slots") } ?? .object([:])
            guard let template, let slots = slots?.objectValue else { return nil }
            return .assert(Fact(template: template, slots: slots))
        case "retract":
            return fields["pattern"].flatMap { retractPattern($0) }.map { .retract($0) }
        default:
            return decodeInterrupt(fields).map { .interrupt($0) }
        }
    }

    private mutating func assertableTemplate(_ node: YAMLNode) -> String? {
        guard let name = nonEmptyText(node, what: "the asserted fact template") else { return nil }
        let validName = name.first.map { $0.isASCII && $0.isLetter } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard validName else {
            diagnostics.error(at: node, "fact template '\(name)' is not a valid name; use letters, digits, '-', '_' and '.', starting with a letter")
            return nil
        }
        guard !Self.reservedTemplates.contains(name), !scope.fieldNames.contains(name) else {
            diagnostics.error(at: node, "fact template '\(name)' is maintained by the engine (node-id, state and the mirrored state fields); assert a fact with another name")
            return nil
        }
        return name
    }

    /// `pattern:` as a CLIPS string, or a mapping `{TEMPLATE: {slot: v}}`.
    private mutating func retractPattern(_ node: YAMLNode) -> Pattern? {
        if let pairs = node.mappingPairs {
            guard pairs.count == 1, let only = pairs.first, let name = only.key.scalarText else {
                diagnostics.error(at: node, "a retract pattern mapping names exactly one fact template, e.g. pattern: {ticket: {id: 7}}")
                return nil
            }
            return slotPattern(template: name, only.value, what: "retract pattern '\(name)'")
        }
        guard case .string(let text) = node.toJSON() else {
            diagnostics.error(at: node, "a retract pattern must be a CLIPS string such as \"(ticket (id 7))\" or a mapping {ticket: {id: 7}}, not a \(node.kindName)")
            return nil
        }
        let pattern: Pattern
        do {
            pattern = try ClipsParser.parsePattern(text)
        } catch {
            diagnostics.error(at: mark(in: node, atOffset: error.offset), "cannot parse the retract pattern: \(error.message)")
            return nil
        }
        return checkReferences(in: [pattern], writtenAs: node) ? pattern : nil
    }

    private mutating func decodeInterrupt(_ fields: [String: YAMLNode]) -> InterruptSpec? {
        let prompt = fields["prompt"].flatMap { text($0, what: "interrupt prompt") }
        let payload = fields["interrupt_payload"]?.toJSON() ?? .null
        var timeout: Double?
        if let node = fields["timeout"] {
            timeout = node.toJSON().numberValue.flatMap { $0 > 0 && $0 <= DurationLimit.maximumSeconds ? $0 : nil }
            if timeout == nil {
                diagnostics.error(at: node, "interrupt timeout must be a number of seconds > 0 and at most "
                    + "\(Int(DurationLimit.maximumSeconds)) (\(DurationLimit.description)), not '\(node.scalarText ?? node.kindName)'")
            }
        }
        let onTimeout = fields["on_timeout"].map { timeoutAction($0) } ?? .halt
        guard let prompt, let onTimeout else { return nil }
        return InterruptSpec(prompt: prompt, payload: payload, timeoutSeconds: timeout, onTimeout: onTimeout)
    }

    private mutating func timeoutAction(_ node: YAMLNode) -> InterruptSpec.TimeoutAction? {
        guard let text = text(node, what: "on_timeout") else { return nil }
        if text == "halt" { return .halt }
        guard text.hasPrefix("goto:") else {
            diagnostics.error(at: node, "on_timeout '\(text)' is not valid; write halt or goto:<node id>")
            return nil
        }
        let target = String(text.dropFirst(5))
        let known = scope.nodeKinds[target] != nil || scope.blockIds.contains(target)
        return known || checkNodeExists(target, at: mark(in: node, atOffset: 5), what: "on_timeout target") ? .goto(target) : nil
    }

    /// The `parallel:` section: blocks with optional unique ids that do not clash with nodes.
    mutating func decodeParallelSection(_ items: [YAMLNode]) -> [ParallelSpec] {
        var blocks: [ParallelSpec] = []
        var firstSeen: [String: SourceMark] = [:]
        for item in items {
            let fields = fields(of: item, what: "a parallel block", allowed: ["id", "targets", "join", "strategy"], required: ["targets", "join"])
            var id: String?
            if let idNode = fields["id"], let value = identifier(idNode, what: "parallel block id") {
                if let first = firstSeen[value] {
                    diagnostics.error(at: idNode, "duplicate parallel block id '\(value)' (first defined at line \(first.line), column \(first.column)); rename one")
                } else if scope.nodeKinds[value] != nil {
                    diagnostics.error(at: idNode, "parallel block id '\(value)' is also a node id; goto would be ambiguous, so rename the block")
                } else {
                    firstSeen[value] = idNode.mark
                    scope.blockIds.insert(value)
                    id = value
                }
            }
            if !fields.isEmpty, let block = decodeParallel(fields, id: id) { blocks.append(block) }
        }
        return blocks
    }

    /// `targets` (>= 2 distinct nodes), `join` (a node), `strategy` (default `all`);
    /// `any`/`race` may not run side-effecting kinds, since losing branches are cancelled.
    private mutating func decodeParallel(_ fields: [String: YAMLNode], id: String?) -> ParallelSpec? {
        var targets: [String] = []
        var valid = true
        if let targetsNode = fields["targets"], let items = sequence(targetsNode, what: "parallel targets", allowEmpty: false) {
            if items.count < 2 {
                diagnostics.error(at: targetsNode, "a parallel block needs at least 2 targets; for one node use goto")
                valid = false
            }
            for item in items {
                guard let target = nodeReference(item, what: "parallel target") else { valid = false; continue }
                if targets.contains(target) {
                    diagnostics.error(at: item, "parallel target '\(target)' is listed twice; list each node once")
                    valid = false
                }
                targets.append(target)
            }
        } else {
            valid = false
        }
        let join = fields["join"].flatMap { nodeReference($0, what: "parallel join") }
        var strategy = JoinStrategy.all
        if let strategyNode = fields["strategy"] {
            if let parsed = joinStrategy(strategyNode, targets: targets) { strategy = parsed } else { valid = false }
        }
        guard valid, let join else { return nil }
        return ParallelSpec(id: id, targets: targets, join: join, strategy: strategy)
    }

    private mutating func joinStrategy(_ node: YAMLNode, targets: [String]) -> JoinStrategy? {
        guard let text = text(node, what: "parallel strategy") else { return nil }
        guard let strategy = JoinStrategy(text: text) else {
            diagnostics.error(at: node, "unknown parallel strategy '\(text)'; use all, any, race or quorum:N (N from 1 to the number of targets)")
            return nil
        }
        switch strategy {
        case .quorum(let n) where n > targets.count && !targets.isEmpty:
            diagnostics.error(at: node, "quorum:\(n) needs more successes than the block's \(targets.count) targets; use a number from 1 to \(targets.count)")
            return nil
        case .any, .race:
            let sideEffecting = targets.filter { scope.nodeKinds[$0].flatMap { catalog.kindInfo($0) }?.sideEffecting == true }
            guard sideEffecting.isEmpty else {
                let listed = sideEffecting.map { "'\($0)' (kind \(scope.nodeKinds[$0] ?? "?"))" }.joined(separator: ", ")
                diagnostics.error(at: node, "strategy '\(text)' cancels the losing branches, but \(listed) \(sideEffecting.count == 1 ? "is" : "are") side-effecting and cannot be cancelled safely; use all or quorum:N, or make those branches pure")
                return nil
            }
            return strategy
        default:
            return strategy
        }
    }
}
