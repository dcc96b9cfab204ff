import Foundation
import StargraphCore
import StargraphStore

/// Forks counterfactual runs: the one host function behind `stargraph replay` and
/// `POST /v1/runs/{id}/counterfactual`. A fork starts from the state entering step N of its
/// parent (steps < N are the shared prefix, read from the parent), applies the mutation, and
/// runs as a `cf-<uuid>` run with `parent_run_id` and `from_step`. The parent is never written.
public struct Counterfactuals: Sendable {
    public let engine: RunEngine

    public init(engine: RunEngine) {
        self.engine = engine
    }

    /// Checks the request and stores the fork as `pending` (ready for ``RunEngine/execute(runId:observer:live:)``).
    /// Nothing is written when any check fails.
    /// - Throws: ``EngineError/runNotFound(_:)``, ``CounterfactualError``, ``MutationError``.
    public func fork(parentRunId: String, fromStep: Int = 0, mutation document: JSONValue? = nil) async throws -> RunRecord {
        try await fork(parentRunId: parentRunId, fromStep: fromStep, mutation: document, queuedFor: nil).run
    }

    /// ``fork(parentRunId:fromStep:mutation:)``, with a `pending` fork queued for the scheduler
    /// process `processId` in the transaction that stores it, so no fork is stored that nothing
    /// will run. Returns its queue row (`nil` for a fork that waits for input, or with no `processId`).
    package func fork(
        parentRunId: String, fromStep: Int, mutation document: JSONValue?, queuedFor processId: String?
    ) async throws -> (run: RunRecord, queued: QueuedRun?) {
        guard let parent = try await engine.store.run(parentRunId) else { throw EngineError.runNotFound(parentRunId) }
        let graph = try engine.compiledGraph(for: parent)
        let mutation = try CounterfactualMutation(json: document ?? .object([:]), graph: graph.ir)
        let history = try await self.history(of: parent)
        guard fromStep >= 0, fromStep < history.count else {
            throw CounterfactualError.fromStepOutOfRange(parentRunId, fromStep: fromStep, steps: history.count)
        }
        var entering = try await enteringStep(fromStep, parent: parent, history: history, graph: graph)
        apply(mutation, to: &entering)
        let now = Date()
        let fork = RunRecord(
            runId: RunIdentifiers.newCounterfactualId(), graphId: parent.graphId, graphHash: parent.graphHash,
            graphSource: parent.graphSource, graphOrigin: parent.graphOrigin,
            status: entering.awaitingInput ? .awaitingInput : .pending, inputs: parent.inputs,
            state: .object(entering.state), facts: FactCoding.json(entering.facts), stepCount: fromStep,
            nextAction: entering.cursor.json, maxSteps: parent.maxSteps, parentRunId: parent.runId, fromStep: fromStep,
            mutation: mutation.json, createdAt: now, updatedAt: now)
        let forked = RunEvent.runForked(parentRunId: parent.runId, fromStep: fromStep, mutation: mutation.json)
        guard let processId, fork.status == .pending else {
            try await engine.events.insert(fork, [forked])
            return (fork, nil)
        }
        let queued = try await engine.events.insert(
            fork, [forked], admission: .queued(params: .object([:]), idempotency: nil, claimedBy: processId), webhook: nil)
        return (fork, queued)
    }

    /// Forks and executes the fork to its end; returns it with its diff against the parent.
    public func replay(
        parentRunId: String, fromStep: Int = 0, mutation: JSONValue? = nil, live: Bool = false
    ) async throws -> (run: RunRecord, diff: RunDiff) {
        let fork = try await fork(parentRunId: parentRunId, fromStep: fromStep, mutation: mutation)
        let finished = fork.status == .pending ? try await engine.execute(runId: fork.runId, live: live) : fork
        return (finished, try await diff(base: parentRunId, other: finished.runId))
    }

    /// The RunDiff of run `other` against run `base` (a fork against its parent, or any two
    /// runs of one graph, compared from step 0).
    public func diff(base baseId: String, other otherId: String) async throws -> RunDiff {
        guard let base = try await engine.store.run(baseId) else { throw EngineError.runNotFound(baseId) }
        guard let other = try await engine.store.run(otherId) else { throw EngineError.runNotFound(otherId) }
        guard base.graphId == other.graphId else {
            throw CounterfactualError.differentGraphs(baseId, base.graphId, otherId, other.graphId)
        }
        let isFork = other.parentRunId == base.runId
        let fromStep = isFork ? other.fromStep ?? 0 : 0
        let parentHistory = try await history(of: base)
        let forkHistory = try await history(of: other)
        return try RunDiff(
            parent: parentHistory, fork: forkHistory, fromStep: fromStep,
            parentGraphHash: base.graphHash, mutation: isFork ? other.mutation ?? .null : .null)
    }

    /// Every step of `run` from step 0: a fork's shared prefix comes from its ancestors.
    package func history(of run: RunRecord) async throws -> [CheckpointRecord] {
        let own = try await engine.store.checkpoints(runId: run.runId).filter { $0.branchId == "main" }
        guard let parentId = run.parentRunId, let fromStep = run.fromStep, fromStep > 0,
              let parent = try await engine.store.run(parentId) else { return own }
        return try await history(of: parent).filter { $0.step < fromStep } + own
    }

    private struct Entering {
        var state: [String: JSONValue]
        var facts: [Fact]
        var cursor: RunCursor
        var awaitingInput = false
    }

    /// The state, facts and routing entering step `step` of the parent.
    private func enteringStep(_ step: Int, parent: RunRecord, history: [CheckpointRecord], graph: CompiledGraph) async throws -> Entering {
        guard step > 0 else {
            let state = RunInputs.initialState(schema: graph.ir.stateSchema, inputs: parent.inputs.objectValue ?? [:])
            return Entering(state: state, facts: [], cursor: .start)
        }
        let previous = history[step - 1]
        var entering = Entering(
            state: previous.state.objectValue ?? [:], facts: try FactCoding.facts(from: previous.facts),
            cursor: RunCursor(after: previous.node, decision: try RoutingDecision(json: previous.nextAction)))
        guard case .interrupt(_, _, let then) = entering.cursor.decision else { return entering }
        // The parent was answered between these steps: the fork enters with that answer applied.
        guard let response = try await recordedResponse(after: previous) else {
            entering.awaitingInput = true
            return entering
        }
        graph.patching.apply(response.objectValue ?? [:], to: &entering.state)
        entering.facts.removeAll { $0.template == "response" }
        entering.facts.append(Fact(template: "response", slots: response.objectValue ?? [:]))
        entering.cursor = RunCursor(after: previous.node, decision: then)
        return entering
    }

    /// The response that answered the interrupt raised at `checkpoint`, from its run's event log.
    private func recordedResponse(after checkpoint: CheckpointRecord) async throws -> JSONValue? {
        let events = try await engine.store.events(runId: checkpoint.runId)
        guard let index = events.firstIndex(where: { $0.type == "step" && $0.step == checkpoint.step }) else { return nil }
        for event in events[(index + 1)...] {
            if event.type == RunEvent.inputReceivedType { return event.payload["response"] }
            if let step = event.step, step != checkpoint.step { return nil }
        }
        return nil
    }

    private func apply(_ mutation: CounterfactualMutation, to entering: inout Entering) {
        for (field, value) in mutation.stateOverrides {
            entering.state[field] = value == .null ? nil : value
        }
        entering.facts.removeAll { fact in
            mutation.factsRetract.contains { PatternMatcher.match($0, against: fact, bindings: [:]) != nil }
        }
        for fact in mutation.factsAssert where !entering.facts.contains(fact) {
            entering.facts.append(fact)
        }
    }
}

/// A fork request that does not fit its parent run (usage error: exit 2, HTTP 422).
public enum CounterfactualError: Error, Sendable, CustomStringConvertible {
    case fromStepOutOfRange(String, fromStep: Int, steps: Int)
    case differentGraphs(String, String, String, String)

    public var description: String {
        switch self {
        case .fromStepOutOfRange(let run, let step, let steps):
            steps == 0
                ? "run \(run) has no steps to fork from"
                : "step \(step) is outside run \(run), which has steps 0...\(steps - 1)"
        case .differentGraphs(let a, let graphA, let b, let graphB):
            "runs of different graphs cannot be diffed: \(a) ran \(graphA), \(b) ran \(graphB)"
        }
    }
}
