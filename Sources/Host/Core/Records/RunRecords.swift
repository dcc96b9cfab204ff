import Foundation

/// The lifecycle status of a run; the same words everywhere (CLI, HTTP, DB).
public enum RunStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case pending, running, paused
    case awaitingInput = "awaiting_input"
    case done, failed, cancelled

    /// `done`, `failed` and `cancelled` never change again.
    public var isTerminal: Bool { self == .done || self == .failed || self == .cancelled }
}

/// One row of `runs`: a run's identity, status and latest state.
public struct RunRecord: Sendable, Hashable {
    public var runId: String
    public var graphId: String
    public var graphHash: String
    /// The graph's YAML text, so `resume` and `replay` work without the original file.
    public var graphSource: String
    /// Where the graph came from (path or `plugin:<name>/<graph>`).
    public var graphOrigin: String
    public var status: RunStatus
    public var inputs: JSONValue
    /// State after the last committed step (the initial state before the first).
    public var state: JSONValue
    /// Working-memory facts after the last committed step, as a JSON array.
    public var facts: JSONValue
    /// Number of committed steps; the next step's index.
    public var stepCount: Int
    /// What happens next (the last checkpoint's routing decision, or `null` at start).
    public var nextAction: JSONValue
    public var maxSteps: Int
    public var errorClass: String?
    public var errorCause: String?
    public var parentRunId: String?
    public var fromStep: Int?
    public var mutation: JSONValue?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var updatedAt: Date
    /// How many times a scheduler took the run over from another that was gone, when this
    /// record was read. A write of the run is refused once the run was taken over since
    /// (fencing): a process paused past its claim can then never write another step.
    public var leaseEpoch: Int

    public init(
        runId: String, graphId: String, graphHash: String, graphSource: String, graphOrigin: String,
        status: RunStatus, inputs: JSONValue, state: JSONValue, facts: JSONValue = .array([]),
        stepCount: Int = 0, nextAction: JSONValue = .null, maxSteps: Int,
        errorClass: String? = nil, errorCause: String? = nil, parentRunId: String? = nil,
        fromStep: Int? = nil, mutation: JSONValue? = nil, createdAt: Date, startedAt: Date? = nil,
        finishedAt: Date? = nil, updatedAt: Date, leaseEpoch: Int = 0
    ) {
        self.runId = runId
        self.graphId = graphId
        self.graphHash = graphHash
        self.graphSource = graphSource
        self.graphOrigin = graphOrigin
        self.status = status
        self.inputs = inputs
        self.state = state
        self.facts = facts
        self.stepCount = stepCount
        self.nextAction = nextAction
        self.maxSteps = maxSteps
        self.errorClass = errorClass
        self.errorCause = errorCause
        self.parentRunId = parentRunId
        self.fromStep = fromStep
        self.mutation = mutation
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.updatedAt = updatedAt
        self.leaseEpoch = leaseEpoch
    }
}

/// One row of `checkpoints`: everything about one step.
public struct CheckpointRecord: Sendable, Hashable {
    public var runId: String
    public var step: Int
    /// `main` for ordinary steps.
    public var branchId: String
    /// The node executed, or `parallel:<a>+<b>` for a parallel block.
    public var node: String
    /// State after the step's patch merged.
    public var state: JSONValue
    /// Working memory after the step's rule evaluation.
    public var facts: JSONValue
    /// The routing decision taken after the step.
    public var nextAction: JSONValue
    /// The node's output patch (for a parallel block: `{branch: patch}`).
    public var output: JSONValue
    public var inputHash: String
    public var outputHash: String
    public var graphHash: String
    /// Ids of the rules whose conditions matched, in declaration order.
    public var rulesFired: [String]
    /// Host values handed to the node (`now`, `random`, `uuid`), recorded for replay.
    public var effects: JSONValue
    public var ts: Date

    public init(
        runId: String, step: Int, branchId: String = "main", node: String, state: JSONValue,
        facts: JSONValue, nextAction: JSONValue, output: JSONValue, inputHash: String,
        outputHash: String, graphHash: String, rulesFired: [String], effects: JSONValue = .array([]),
        ts: Date
    ) {
        self.runId = runId
        self.step = step
        self.branchId = branchId
        self.node = node
        self.state = state
        self.facts = facts
        self.nextAction = nextAction
        self.output = output
        self.inputHash = inputHash
        self.outputHash = outputHash
        self.graphHash = graphHash
        self.rulesFired = rulesFired
        self.effects = effects
        self.ts = ts
    }
}

/// One row of the durable per-run event log; `seq` counts from 1 within a run.
public struct EventRecord: Sendable, Hashable {
    public var runId: String
    public var seq: Int
    public var step: Int?
    public var type: String
    public var ts: Date
    public var payload: JSONValue

    public init(runId: String, seq: Int, step: Int?, type: String, ts: Date, payload: JSONValue) {
        self.runId = runId
        self.seq = seq
        self.step = step
        self.type = type
        self.ts = ts
        self.payload = payload
    }
}
