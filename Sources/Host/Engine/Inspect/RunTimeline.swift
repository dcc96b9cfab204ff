import StargraphCore
/// A run's history for people and clients: one entry per step with the node, the rules
/// that fired, the transition taken and the state fields that changed.
public struct RunTimeline: Sendable {
    /// One step of the timeline.
    public struct Entry: Sendable, Hashable {
        public var step: Int
        public var node: String
        public var rulesFired: [String]
        /// `goto node_b`, `halt (reason)`, `continue`, `interrupt → goto post`, …
        public var transition: String
        /// Fields whose value differs from the previous step's state, sorted.
        public var changedFields: [String]
    }

    public let run: RunRecord
    public let entries: [Entry]

    /// Builds the timeline from the run's checkpoints; `initialState` is the state entering
    /// the run's first step (inputs over the schema's defaults).
    public init(run: RunRecord, checkpoints: [CheckpointRecord], initialState: [String: JSONValue]) {
        self.run = run
        var previous = initialState
        var entries: [Entry] = []
        for checkpoint in checkpoints {
            let state = checkpoint.state.objectValue ?? [:]
            let changed = Set(state.keys).union(previous.keys).filter { state[$0] != previous[$0] }.sorted()
            entries.append(Entry(
                step: checkpoint.step, node: checkpoint.node, rulesFired: checkpoint.rulesFired,
                transition: Self.describe(checkpoint.nextAction), changedFields: changed))
            previous = state
        }
        self.entries = entries
    }

    /// The timeline of a stored run: its own checkpoints, with changes counted from the state
    /// entering its first step (inputs over defaults, or for a fork the parent's state there).
    public static func load(_ run: RunRecord, engine: RunEngine) async throws -> RunTimeline {
        let checkpoints = try await engine.store.checkpoints(runId: run.runId)
        var initial: [String: JSONValue]
        if let fromStep = run.fromStep, fromStep > 0 {
            let history = try await Counterfactuals(engine: engine).history(of: run)
            initial = history.first { $0.step == fromStep - 1 }?.state.objectValue ?? [:]
        } else {
            let graph = try engine.compiledGraph(for: run)
            initial = RunInputs.initialState(schema: graph.ir.stateSchema, inputs: run.inputs.objectValue ?? [:])
        }
        return RunTimeline(run: run, checkpoints: checkpoints, initialState: initial)
    }

    /// The timeline as JSON (`stargraph inspect --json`).
    public var json: JSONValue {
        var summary = RunSummary(run).json.objectValue ?? [:]
        if let mutation = run.mutation { summary["mutation"] = mutation }
        summary["steps"] = .array(entries.map { entry in
            [
                "step": .number(Double(entry.step)), "node": .string(entry.node),
                "rules_fired": .array(entry.rulesFired.map(JSONValue.string)),
                "transition": .string(entry.transition),
                "changed": .array(entry.changedFields.map(JSONValue.string)),
            ]
        })
        return .object(summary)
    }

    /// A one-line description of a stored routing decision.
    public static func describe(_ decision: JSONValue) -> String {
        let kind = decision["kind"]?.stringValue ?? "?"
        switch kind {
        case "goto", "retry":
            return "\(kind) \(decision["target"]?.stringValue ?? "?")"
        case "halt":
            return decision["reason"]?.stringValue.map { "halt (\($0))" } ?? "halt"
        case "parallel":
            let targets = decision["targets"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return "parallel \(targets.joined(separator: "+"))"
        case "interrupt":
            return "interrupt → " + describe(decision["then"] ?? .null)
        default:
            return kind
        }
    }
}

/// The RunSummary: what `GET /v1/runs/{id}` and `stargraph run --json` show.
public struct RunSummary: Sendable {
    public let run: RunRecord

    public init(_ run: RunRecord) { self.run = run }

    public var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "run_id": .string(run.runId), "status": .string(run.status.rawValue),
            "graph_id": .string(run.graphId), "graph_hash": .string(run.graphHash), "graph_origin": .string(run.graphOrigin),
            "started_at": text(run.startedAt.map(Timestamps.format)),
            "finished_at": text(run.finishedAt.map(Timestamps.format)),
            "created_at": .string(Timestamps.format(run.createdAt)),
            "parent_run_id": text(run.parentRunId), "from_step": run.fromStep.map { .number(Double($0)) } ?? .null,
            "error_class": text(run.errorClass), "error_cause": text(run.errorCause),
            "steps": .number(Double(run.stepCount)), "state": run.state,
        ]
    }
}
