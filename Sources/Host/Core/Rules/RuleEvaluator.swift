/// What one rule evaluation looks at: the run's asserted facts and the state after a node.
public struct EvaluationInput: Sendable {
    /// The asserted working memory (facts from rules and mutations; never mirrored facts).
    public var facts: [Fact]
    /// The run's current state; each field is mirrored into working memory.
    public var state: [String: JSONValue]
    /// The node that has just executed; mirrored as `(node-id (id <currentNode>))`.
    public var currentNode: String
    /// `true` for a run's first evaluation only: `(initial-fact)` holds then and never again.
    public var isFirstEvaluation: Bool

    public init(facts: [Fact], state: [String: JSONValue], currentNode: String, isFirstEvaluation: Bool) {
        self.facts = facts
        self.state = state
        self.currentNode = currentNode
        self.isFirstEvaluation = isFirstEvaluation
    }
}

/// The outcome of one rule evaluation.
public struct RuleEvaluation: Sendable, Hashable {
    /// The asserted working memory after all fired rules' `assert`/`retract` actions.
    public var facts: [Fact]
    /// Ids of the rules whose condition matched, in declaration order.
    public var fired: [String]
    /// The single routing decision chosen by precedence.
    public var decision: RoutingDecision
}

/// Evaluates a graph's rules after a node.
///
/// One evaluation:
/// 1. Working memory = the asserted facts plus mirrored facts: `(initial-fact)` (no slots) only
///    when `isFirstEvaluation`; `(node-id (id <currentNode>))` for the current node only;
///    one `state` fact with a slot per state field; and for each state field `F` a fact of
///    template `F` with slot `value`.
/// 2. Every rule is matched against that one snapshot (see ``PatternMatcher``); each matching
///    rule fires once, whatever its number of matches.
/// 3. The `assert`/`retract` actions of the fired rules apply in declaration order (rule, then
///    action). Asserting a fact equal to an asserted one is a no-op; a retract removes every
///    asserted fact its pattern matches on its own (variables unify within the pattern only;
///    a negated pattern retracts nothing). Mirrored facts are never stored or retracted.
/// 4. One routing decision by precedence interrupt > halt > goto/retry > parallel > continue;
///    within a rank the first declared action (rule, then action order) wins, goto and retry
///    sharing a rank. When an interrupt wins, its `then` is the best non-interrupt action of
///    all fired rules, or `continue`.
public struct RuleEvaluator: Sendable {
    private let rules: [Rule]
    /// The templates some rule's condition names. Mirrored facts of any other template can match
    /// nothing, so they are not built (most state fields, on most graphs).
    private let matchedTemplates: Set<String>

    /// An evaluator for `rules`, kept in declaration order.
    public init(rules: [Rule]) {
        self.rules = rules
        matchedTemplates = Set(rules.flatMap { $0.when.patterns.map(\.template) })
    }

    /// Runs one evaluation; it never fails (a rule whose condition cannot match just does not fire).
    public func evaluate(_ input: EvaluationInput) -> RuleEvaluation {
        let matcher = PatternMatcher(facts: input.facts + mirroredFacts(for: input))
        let firedRules = rules.filter { matcher.holds($0.when) }
        var facts = input.facts
        for action in firedRules.flatMap(\.then) {
            switch action {
            case .assert(let fact):
                if !facts.contains(fact) { facts.append(fact) }
            case .retract(let pattern):
                facts.removeAll { !pattern.negated && PatternMatcher.match(pattern, against: $0, bindings: [:]) != nil }
            default:
                continue
            }
        }
        return RuleEvaluation(facts: facts, fired: firedRules.map(\.id), decision: Self.decision(from: firedRules))
    }

    /// The facts the engine derives from `input` for this evaluation only, of the templates some
    /// condition names.
    func mirroredFacts(for input: EvaluationInput) -> [Fact] {
        var mirrored: [Fact] = []
        if input.isFirstEvaluation, matchedTemplates.contains("initial-fact") { mirrored.append(Fact(template: "initial-fact")) }
        if matchedTemplates.contains("node-id") {
            mirrored.append(Fact(template: "node-id", slots: ["id": .string(input.currentNode)]))
        }
        if matchedTemplates.contains("state") { mirrored.append(Fact(template: "state", slots: input.state)) }
        for (field, value) in input.state where matchedTemplates.contains(field) {
            mirrored.append(Fact(template: field, slots: ["value": value]))
        }
        return mirrored
    }

    /// Routing ranks below interrupt, best first; goto and retry share one.
    private enum RoutingRank: Int, Comparable {
        case halt, gotoOrRetry, parallel

        static func < (left: Self, right: Self) -> Bool { left.rawValue < right.rawValue }
    }

    /// The routing decision of `firedRules` (in declaration order) by precedence.
    static func decision(from firedRules: [Rule]) -> RoutingDecision {
        var winner: (rank: RoutingRank, decision: RoutingDecision)?
        var firstInterrupt: (spec: InterruptSpec, rule: String)?
        func offer(_ rank: RoutingRank, _ decision: @autoclosure () -> RoutingDecision) {
            if let current = winner, current.rank <= rank { return }
            winner = (rank, decision())
        }
        for rule in firedRules {
            for action in rule.then {
                switch action {
                case .interrupt(let spec):
                    if firstInterrupt == nil { firstInterrupt = (spec, rule.id) }
                case .halt(let reason):
                    offer(.halt, .halt(reason: reason, rule: rule.id))
                case .goto(let target):
                    offer(.gotoOrRetry, .goto(target: target, rule: rule.id))
                case .retry(let target, let backoffMs, let maxAttempts):
                    offer(.gotoOrRetry, .retry(target: target, backoffMs: backoffMs, maxAttempts: maxAttempts, rule: rule.id))
                case .parallel(let spec):
                    offer(.parallel, .parallel(spec, rule: rule.id))
                case .assert, .retract:
                    continue
                }
            }
        }
        let routing = winner?.decision ?? .continue
        guard let firstInterrupt else { return routing }
        return .interrupt(firstInterrupt.spec, rule: firstInterrupt.rule, then: routing)
    }
}
