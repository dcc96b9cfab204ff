/// The one routing outcome of a rule evaluation, stored as a checkpoint's
/// `next_action`. Every case but `continue` names the rule whose action won.
public indirect enum RoutingDecision: Sendable, Hashable {
    /// No routing rule fired: go on to the next node in list order (`done` past the last).
    case `continue`
    case goto(target: String, rule: String)
    case retry(target: String, backoffMs: Int, maxAttempts: Int, rule: String)
    case halt(reason: String?, rule: String)
    case parallel(ParallelSpec, rule: String)
    /// Suspend as `awaiting_input`; once answered, `then` applies. `then` is the best of the
    /// other routing actions of the same evaluation and is never another interrupt.
    case interrupt(InterruptSpec, rule: String, then: RoutingDecision)

    /// The decision as a JSON object with a `kind` member, using the IR's member names:
    /// - `{"kind":"continue"}`
    /// - `{"kind":"goto","target":T,"rule":R}`
    /// - `{"kind":"retry","target":T,"backoff_ms":N,"max_attempts":N,"rule":R}`
    /// - `{"kind":"halt","reason":S,"rule":R}` (`reason` omitted when `nil`)
    /// - `{"kind":"parallel","id":I,"targets":[…],"join":J,"strategy":"quorum:2","rule":R}`
    ///   (`id` omitted when `nil`)
    /// - `{"kind":"interrupt","prompt":P,"interrupt_payload":V,"timeout":S,"on_timeout":"halt"|"goto:<id>","rule":R,"then":{…}}`
    ///   (`timeout`, in seconds, omitted when `nil`)
    public var json: JSONValue {
        var members: [String: JSONValue]
        switch self {
        case .continue:
            return .object(["kind": "continue"])
        case .goto(let target, let rule):
            members = ["kind": "goto", "target": .string(target), "rule": .string(rule)]
        case .retry(let target, let backoffMs, let maxAttempts, let rule):
            members = [
                "kind": "retry", "target": .string(target), "backoff_ms": .number(Double(backoffMs)),
                "max_attempts": .number(Double(maxAttempts)), "rule": .string(rule),
            ]
        case .halt(let reason, let rule):
            members = ["kind": "halt", "rule": .string(rule)]
            if let reason { members["reason"] = .string(reason) }
        case .parallel(let spec, let rule):
            members = [
                "kind": "parallel", "targets": .array(spec.targets.map(JSONValue.string)), "join": .string(spec.join),
                "strategy": .string(spec.strategy.text), "rule": .string(rule),
            ]
            if let id = spec.id { members["id"] = .string(id) }
        case .interrupt(let spec, let rule, let then):
            members = [
                "kind": "interrupt", "prompt": .string(spec.prompt), "interrupt_payload": spec.payload,
                "on_timeout": .string(Self.text(of: spec.onTimeout)), "rule": .string(rule), "then": then.json,
            ]
            if let timeout = spec.timeoutSeconds { members["timeout"] = .number(timeout) }
        }
        return .object(members)
    }

    /// Decodes what ``json`` produced (the exact inverse).
    ///
    /// Throws ``RuleCodingError`` naming the member when `kind` is unknown, a required member
    /// is missing or mistyped, an unknown member is present, the strategy is not
    /// `all|any|race|quorum:N`, or `on_timeout` is not `halt` or `goto:<id>`.
    public init(json: JSONValue) throws {
        try self.init(json: json, path: "decision")
    }

    private init(json: JSONValue, path: String) throws {
        let reader = try JSONObjectReader(json, path: path)
        let kind = try reader.string("kind")
        switch kind {
        case "continue":
            try reader.rejectUnknownMembers(allowed: ["kind"])
            self = .continue
        case "goto":
            try reader.rejectUnknownMembers(allowed: ["kind", "target", "rule"])
            self = .goto(target: try reader.string("target"), rule: try reader.string("rule"))
        case "retry":
            try reader.rejectUnknownMembers(allowed: ["kind", "target", "backoff_ms", "max_attempts", "rule"])
            self = .retry(
                target: try reader.string("target"), backoffMs: try reader.int("backoff_ms"),
                maxAttempts: try reader.int("max_attempts"), rule: try reader.string("rule"))
        case "halt":
            try reader.rejectUnknownMembers(allowed: ["kind", "reason", "rule"])
            self = .halt(reason: try reader.optionalString("reason"), rule: try reader.string("rule"))
        case "parallel":
            try reader.rejectUnknownMembers(allowed: ["kind", "id", "targets", "join", "strategy", "rule"])
            let strategyText = try reader.string("strategy")
            guard let strategy = JoinStrategy(text: strategyText) else {
                throw RuleCodingError(path: path + ".strategy", message: "unknown strategy \"\(strategyText)\"; expected all, any, race or quorum:N")
            }
            let spec = ParallelSpec(
                id: try reader.optionalString("id"), targets: try reader.strings("targets"),
                join: try reader.string("join"), strategy: strategy)
            self = .parallel(spec, rule: try reader.string("rule"))
        case "interrupt":
            try reader.rejectUnknownMembers(
                allowed: ["kind", "prompt", "interrupt_payload", "timeout", "on_timeout", "rule", "then"])
            let spec = InterruptSpec(
                prompt: try reader.string("prompt"), payload: reader.optional("interrupt_payload") ?? .null,
                timeoutSeconds: try reader.optionalNumber("timeout"),
                onTimeout: try Self.timeoutAction(try reader.string("on_timeout"), path: path + ".on_timeout"))
            let then = try RoutingDecision(json: try reader.required("then"), path: path + ".then")
            self = .interrupt(spec, rule: try reader.string("rule"), then: then)
        default:
            throw RuleCodingError(
                path: path + ".kind", message: "unknown kind \"\(kind)\"; expected continue, goto, retry, halt, parallel or interrupt")
        }
    }

    /// `halt` or `goto:<id>`, the IR spelling of an interrupt's `on_timeout`.
    static func text(of action: InterruptSpec.TimeoutAction) -> String {
        switch action {
        case .halt: "halt"
        case .goto(let target): "goto:" + target
        }
    }

    private static func timeoutAction(_ text: String, path: String) throws -> InterruptSpec.TimeoutAction {
        if text == "halt" { return .halt }
        if text.hasPrefix("goto:"), text.count > 5 { return .goto(String(text.dropFirst(5))) }
        throw RuleCodingError(path: path, message: "expected \"halt\" or \"goto:<node id>\", found \"\(text)\"")
    }
}
