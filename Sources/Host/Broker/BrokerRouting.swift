/// The broker's policy decision for one request, before any source is queried:
///
/// 1. Data types: the request's `context.data_types`, else the union (in config order) of the
///    `intent_map` entries whose glob matches the intent (case-insensitive).
/// 2. Candidates: sources serving at least one of those types; the rest are skipped.
/// 3. Denials, checked in this order per candidate: unknown agent (`unknown-agent`), agent
///    clearance below the source's classification (`clearance`), purpose not in the agent's
///    `allowed_purposes` (`agent-purpose`), purpose not in the source's (`source-purpose`).
package struct BrokerRoutingDecision: Sendable {
    package var dataTypes: [String]
    package var allowed: [BrokerSource]
    package var denials: [BrokerResponse.Denial]
    package var skipped: [String]
    package var trace: [String]

    package init(request: BrokerRequest, policy: BrokerPolicy) {
        trace = []
        if let explicit = request.dataTypes {
            dataTypes = Self.unique(explicit)
            trace.append("data types from context.data_types: [\(dataTypes.joined(separator: ", "))]")
        } else {
            let matching = policy.intentMap.filter { Self.glob($0.glob, matches: request.intent) }
            dataTypes = Self.unique(matching.flatMap(\.dataTypes))
            trace.append(matching.isEmpty
                ? "no intent_map glob matches the intent; no data types requested"
                : "intent_map: " + matching.map { "'\($0.glob)' → [\($0.dataTypes.joined(separator: ", "))]" }.joined(separator: "; "))
        }
        let agent = policy.agent(request.agentId)
        if agent == nil { trace.append("agent '\(request.agentId)' is not configured; every source is denied") }
        let requested = Set(dataTypes)
        allowed = []
        denials = []
        skipped = []
        for source in policy.sources {
            guard !requested.isDisjoint(with: source.dataTypes) else {
                skipped.append(source.id)
                continue
            }
            if let denial = Self.denial(of: source, agent: agent, purpose: request.purpose, policy: policy) {
                denials.append(denial)
                trace.append("\(source.id): denied (\(denial.rule))")
            } else {
                allowed.append(source)
                trace.append("\(source.id): allowed (classification \(source.classification), purpose '\(request.purpose)')")
            }
        }
        if !skipped.isEmpty { trace.append("skipped (no requested data type): \(skipped.joined(separator: ", "))") }
    }

    private static func denial(of source: BrokerSource, agent: BrokerAgent?, purpose: String, policy: BrokerPolicy) -> BrokerResponse.Denial? {
        guard let agent else {
            return BrokerResponse.Denial(sourceId: source.id, rule: "unknown-agent", reason: "the agent is not in the broker's agents list")
        }
        if (policy.rank(of: agent.clearance) ?? -1) < (policy.rank(of: source.classification) ?? Int.max) {
            return BrokerResponse.Denial(
                sourceId: source.id, rule: "clearance",
                reason: "agent clearance '\(agent.clearance)' is below the source's classification '\(source.classification)'")
        }
        if !agent.allowedPurposes.contains(purpose) {
            return BrokerResponse.Denial(sourceId: source.id, rule: "agent-purpose", reason: "the agent is not allowed this purpose")
        }
        if !source.allowedPurposes.contains(purpose) {
            return BrokerResponse.Denial(sourceId: source.id, rule: "source-purpose", reason: "the source does not allow this purpose")
        }
        return nil
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    /// Whether `text` matches `pattern` as a whole, case-insensitively: `*` matches any run of
    /// characters, `?` any one character, everything else itself.
    package static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.lowercased()), text = Array(text.lowercased())
        var p = 0, t = 0
        var star: Int?, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let starAt = star {
                p = starAt + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
