/// A fact in a run's working memory: a template name and named slots, like a CLIPS
/// deftemplate fact. Facts asserted by rules (or by a counterfactual mutation) are stored in
/// every checkpoint; the engine adds mirrored facts (`node-id`, `state`, one per state field)
/// for each evaluation only.
public struct Fact: Sendable, Hashable {
    public var template: String
    public var slots: [String: JSONValue]

    public init(template: String, slots: [String: JSONValue] = [:]) {
        self.template = template
        self.slots = slots
    }
}

/// One rule of a graph: when its condition matches working memory, its actions apply.
public struct Rule: Sendable, Hashable {
    public var id: String
    public var when: Condition
    public var then: [Action]

    public init(id: String, when: Condition, then: [Action]) {
        self.id = id
        self.when = when
        self.then = then
    }
}

/// A conjunctive condition: every pattern must match (negated ones must not).
public struct Condition: Sendable, Hashable {
    public var patterns: [Pattern]

    public init(patterns: [Pattern]) { self.patterns = patterns }
}

/// A pattern over facts of one template. Both `when` forms compile to patterns:
/// `{node: X}` becomes `(node-id (id X))`, `{field: v}` becomes `(state (field v))`,
/// `(initial-fact)` matches the fact the engine asserts on a run's first evaluation only.
public struct Pattern: Sendable, Hashable {
    public var negated: Bool
    public var template: String
    public var slots: [SlotTest]
    /// The `?v` of `?v <- (…)`, when given.
    public var binding: String?

    public init(negated: Bool = false, template: String, slots: [SlotTest] = [], binding: String? = nil) {
        self.negated = negated
        self.template = template
        self.slots = slots
        self.binding = binding
    }
}

/// A test on one slot of a fact. A slot the fact does not have reads as `null`.
public struct SlotTest: Sendable, Hashable {
    public var slot: String
    public var test: Test

    public init(slot: String, test: Test) {
        self.slot = slot
        self.test = test
    }

    /// What a slot value must satisfy.
    public enum Test: Sendable, Hashable {
        /// `eq ne gt ge lt le` against a literal; ordering compares numbers, or strings.
        case compare(ComparisonOperator, JSONValue)
        /// The value equals one of the literals (mapping `in`).
        case oneOf([JSONValue])
        /// A string contains the literal as a substring, or an array contains it as an element.
        case contains(JSONValue)
        /// `exists: true` — present and not null; `exists: false` — absent or null.
        case exists(Bool)
        /// CLIPS text comparison: the value rendered as text equals one of the alternatives
        /// (`(f v1|v2)`, `(FIELD (value "V"))`). Strings render raw, others as canonical JSON.
        case textOneOf([String])
        /// A CLIPS variable `?x`: binds on first use, must be equal on later uses.
        case variable(String)
    }
}

/// Comparison operators of the mapping `when` form and of CLIPS `(state (f > N))`.
public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case eq, ne, gt, ge, lt, le
}

/// A rule action. Routing actions are decided by precedence
/// interrupt > halt > goto/retry > parallel > continue; `assert`/`retract` always apply.
public enum Action: Sendable, Hashable {
    case goto(target: String)
    case halt(reason: String?)
    case parallel(ParallelSpec)
    case retry(target: String, backoffMs: Int, maxAttempts: Int)
    case assert(Fact)
    case retract(Pattern)
    case interrupt(InterruptSpec)
}

/// A parallel block: run `targets` concurrently, merge their patches, then continue at `join`.
public struct ParallelSpec: Sendable, Hashable {
    /// The block's id when declared in the graph's `parallel:` section (a `goto` may name it).
    public var id: String?
    public var targets: [String]
    public var join: String
    public var strategy: JoinStrategy

    public init(id: String? = nil, targets: [String], join: String, strategy: JoinStrategy) {
        self.id = id
        self.targets = targets
        self.join = join
        self.strategy = strategy
    }
}

/// How a parallel block decides it is finished.
public enum JoinStrategy: Sendable, Hashable {
    /// Wait for every branch; any failure fails the block.
    case all
    /// The first branch to succeed wins; the others are cancelled.
    case any
    /// The first branch to finish wins, success or failure.
    case race
    /// The first `n` successes (in completion order) finish the block.
    case quorum(Int)

    /// The IR spelling: `all`, `any`, `race`, `quorum:N`.
    public var text: String {
        switch self {
        case .all: "all"
        case .any: "any"
        case .race: "race"
        case .quorum(let n): "quorum:\(n)"
        }
    }

    /// Parses the IR spelling; `nil` when it is not one.
    public init?(text: String) {
        switch text {
        case "all": self = .all
        case "any": self = .any
        case "race": self = .race
        default:
            guard text.hasPrefix("quorum:"), let n = Int(text.dropFirst(7)), n >= 1 else { return nil }
            self = .quorum(n)
        }
    }
}

/// A human-in-the-loop interrupt: the run waits as `awaiting_input` until answered.
public struct InterruptSpec: Sendable, Hashable {
    public var prompt: String
    public var payload: JSONValue
    /// Seconds to wait before `onTimeout` applies; `nil` waits forever.
    public var timeoutSeconds: Double?
    public var onTimeout: TimeoutAction

    public init(prompt: String, payload: JSONValue = .null, timeoutSeconds: Double? = nil, onTimeout: TimeoutAction = .halt) {
        self.prompt = prompt
        self.payload = payload
        self.timeoutSeconds = timeoutSeconds
        self.onTimeout = onTimeout
    }

    /// What an unanswered interrupt does when its timeout passes.
    public enum TimeoutAction: Sendable, Hashable {
        case halt
        case goto(String)
    }
}
