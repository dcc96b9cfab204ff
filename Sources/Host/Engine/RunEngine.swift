import Foundation
import Logging
import Metrics
import StargraphCore
import StargraphStore
import StargraphAudit

/// Told when each step starts and when it is committed, in order (the CLI prints progress from it).
public protocol RunObserver: Sendable {
    /// Step `step` of `run` starts executing `node` (a node id, or a parallel block's `parallel:a+b`).
    func stepStarted(_ step: Int, node: String, run: RunRecord)
    /// Step `checkpoint.step` is committed; `run` is the run row as that commit left it.
    func stepCommitted(_ checkpoint: CheckpointRecord, run: RunRecord)
}

extension RunObserver {
    /// Observers that only follow commits need not implement ``stepStarted(_:node:run:)``.
    public func stepStarted(_ step: Int, node: String, run: RunRecord) {}
}

/// Executes runs step by step, committing one checkpoint per step before the next starts.
/// Any process holding the same database can continue a run from its last checkpoint: the run
/// row carries state, facts and the next routing decision.
public final class RunEngine: Sendable {
    /// The step limit when neither the graph nor the run sets one.
    public static let defaultMaxSteps = 10_000

    package let store: any RunStore
    public let compiler: GraphCompiler
    public let signals: RunSignals
    package let events: RunEventLog
    /// Graphs compiled from stored runs' sources, so each run does not compile its graph again.
    package let compiledGraphs = CompiledGraphCache()
    package let logger: Logger
    /// `stargraph_step_duration_seconds`: node (or parallel block) execution plus its commit.
    package let stepTimer: Metrics.Timer

    package init(
        store: any RunStore, compiler: GraphCompiler, audit: AuditLog? = nil, signals: RunSignals = RunSignals(),
        eventSink: (any RunEventSink)? = nil, logger: Logger = Logger(label: "stargraph.engine")
    ) {
        self.store = store
        self.compiler = compiler
        self.signals = signals
        self.events = RunEventLog(store: store, audit: audit, sink: eventSink, logger: logger)
        self.logger = logger
        self.stepTimer = Metrics.Timer(label: "stargraph_step_duration_seconds", preferredDisplayUnit: .seconds)
    }

    /// Stores a new `pending` run of `graph` with `inputs` (already checked by ``RunInputs``).
    public func createRun(
        _ graph: CompiledGraph, inputs: [String: JSONValue], maxSteps: Int? = nil,
        runId: String = RunIdentifiers.newRunId()
    ) async throws -> RunRecord {
        let run = newRun(graph, inputs: inputs, maxSteps: maxSteps, runId: runId, status: .pending)
        try await events.insert(run, [.runCreated(graphHash: graph.hash, inputs: .object(inputs))])
        return run
    }

    /// ``createRun(_:inputs:maxSteps:runId:)`` of a run a scheduler takes on as `admission` says,
    /// in the same transaction: the run and its queue row or claim are stored together or not at
    /// all. A run admitted ``RunAdmission/started(idempotency:claimedBy:)`` is stored `running`
    /// (a worker is reserved for it), so ``execute(_:observer:live:)`` needs no second commit to
    /// start it. The run's events go to `webhook`, when it has one.
    package func createRun(
        _ graph: CompiledGraph, inputs: [String: JSONValue], runId: String, admission: RunAdmission,
        principal: String? = nil, webhook: WebhookSubscription? = nil
    ) async throws -> (run: RunRecord, queued: QueuedRun) {
        let running = admission.startsRunning
        let run = newRun(graph, inputs: inputs, maxSteps: nil, runId: runId, status: running ? .running : .pending)
        let created = RunEvent.runCreated(graphHash: graph.hash, inputs: .object(inputs), principal: principal)
        let queued = try await events.insert(run, running ? [created, .runStarted] : [created], admission: admission, webhook: webhook)
        return (run, queued)
    }

    /// Creates a run already `running` (one commit instead of two) and executes it to the end,
    /// as `stargraph run` does.
    public func start(
        _ graph: CompiledGraph, inputs: [String: JSONValue], maxSteps: Int? = nil,
        runId: String = RunIdentifiers.newRunId(), observer: (any RunObserver)? = nil
    ) async throws -> RunRecord {
        let run = newRun(graph, inputs: inputs, maxSteps: maxSteps, runId: runId, status: .running)
        try await events.insert(run, [.runCreated(graphHash: graph.hash, inputs: .object(inputs)), .runStarted])
        return try await drive(run, graph: graph, observer: observer, replay: nil)
    }

    private func newRun(
        _ graph: CompiledGraph, inputs: [String: JSONValue], maxSteps: Int?, runId: String, status: RunStatus
    ) -> RunRecord {
        let now = Date()
        let state = RunInputs.initialState(schema: graph.ir.stateSchema, inputs: inputs)
        return RunRecord(
            runId: runId, graphId: graph.id, graphHash: graph.hash, graphSource: graph.ir.sourceText,
            graphOrigin: graph.ir.sourceName, status: status, inputs: .object(inputs), state: .object(state),
            maxSteps: maxSteps ?? graph.ir.maxSteps ?? Self.defaultMaxSteps, createdAt: now,
            startedAt: status == .running ? now : nil, updatedAt: now)
    }

    /// Runs a `pending` (or interrupted `running`) run until it is done, fails, waits for
    /// input, or is paused/cancelled. Returns the run as stored. For a counterfactual fork,
    /// `live` executes side-effecting nodes the parent has no recording for, instead of failing.
    public func execute(runId: String, observer: (any RunObserver)? = nil, live: Bool = false) async throws -> RunRecord {
        try await execute(try load(runId), observer: observer, live: live)
    }

    /// ``execute(runId:observer:live:)`` of a run the caller has just read from the store.
    package func execute(_ stored: RunRecord, observer: (any RunObserver)? = nil, live: Bool = false) async throws -> RunRecord {
        var run = stored
        guard run.status == .pending || run.status == .running else {
            throw EngineError.notResumable(run.runId, run.status)
        }
        let graph = try compiledGraph(for: run)
        if run.status == .pending {
            let now = Date()
            run.status = .running
            run.startedAt = now
            run.updatedAt = now
            try await events.update(run, .runStarted)
        }
        return try await drive(run, graph: graph, observer: observer, replay: try replayContext(for: run, graph: graph, live: live))
    }

    /// Continues a paused, interrupted (killed mid-run) or input-waiting run from its last
    /// checkpoint. `response` answers an interrupt: it is checked against `state_schema`,
    /// applied as a state patch, asserted as the fact `response`, and the rest of that
    /// evaluation's routing applies. Pass `currentGraph` (the graph as it is now, e.g. from the
    /// file or the registry) to refuse resuming under a graph that changed since the run started.
    public func resume(
        runId: String, response: JSONValue? = nil, observer: (any RunObserver)? = nil, currentGraph: CompiledGraph? = nil
    ) async throws -> RunRecord {
        try await resume(try load(runId), response: response, observer: observer, currentGraph: currentGraph)
    }

    /// ``resume(runId:response:observer:currentGraph:)`` of a run the caller has just read from the store.
    package func resume(
        _ stored: RunRecord, response: JSONValue? = nil, observer: (any RunObserver)? = nil, currentGraph: CompiledGraph? = nil
    ) async throws -> RunRecord {
        var run = stored
        let runId = run.runId
        if let currentGraph, currentGraph.hash != run.graphHash {
            throw EngineError.graphChanged(runId, stored: run.graphHash, current: currentGraph.hash)
        }
        let graph = try compiledGraph(for: run)
        switch run.status {
        case .awaitingInput:
            run = try await answer(run, graph: graph, response: response)
        case .paused, .running, .pending:
            if response != nil { throw EngineError.notAwaitingInput(runId, run.status) }
            run.status = .running
            run.startedAt = run.startedAt ?? Date()
            run.updatedAt = Date()
            try await events.update(run, .runResumed)
        case .done, .failed, .cancelled:
            throw EngineError.notResumable(runId, run.status)
        }
        return try await drive(run, graph: graph, observer: observer, replay: try replayContext(for: run, graph: graph, live: false))
    }

    /// Compiles the graph a run was started with (under the rule pack its mutation selects),
    /// refusing it when it no longer hashes the same.
    public func compiledGraph(for run: RunRecord) throws -> CompiledGraph {
        let graph = try compiledGraphs.graph(
            source: run.graphSource, origin: run.graphOrigin, graphHash: run.graphHash, compiler: compiler)
        guard graph.hash == run.graphHash else {
            throw EngineError.graphChanged(run.runId, stored: run.graphHash, current: graph.hash)
        }
        if let version = run.mutation?["rule_pack_version"]?.stringValue {
            return try graph.withRulePack(version)
        }
        return graph
    }

    /// For a counterfactual fork: what it replays from its parent; `nil` for other runs.
    private func replayContext(for run: RunRecord, graph: CompiledGraph, live: Bool) async throws -> ReplayContext? {
        guard let parentRunId = run.parentRunId else { return nil }
        let mutation = try CounterfactualMutation(json: run.mutation ?? .object([:]), graph: graph.ir)
        let answered = mutation.respondPayloads.isEmpty
            ? 0 : try await store.events(runId: run.runId).count { $0.type == RunEvent.inputReceivedType }
        return ReplayContext(
            parent: try await store.checkpoints(runId: parentRunId), parentRunId: parentRunId, mutation: mutation,
            live: live, answeredSoFar: answered)
    }

    private func load(_ runId: String) async throws -> RunRecord {
        guard let run = try await store.run(runId) else { throw EngineError.runNotFound(runId) }
        return run
    }

    private func answer(_ stored: RunRecord, graph: CompiledGraph, response: JSONValue?) async throws -> RunRecord {
        var run = stored
        let cursor = try RunCursor(json: run.nextAction)
        guard case .interrupt(let spec, let rule, let then) = cursor.decision else {
            throw EngineError.corruptRun("run \(run.runId) is awaiting input but its next action is not an interrupt")
        }
        var state = run.state.objectValue ?? [:]
        var facts = try FactCoding.facts(from: run.facts)
        let decision: RoutingDecision
        let event: RunEvent
        if let response {
            guard let patch = response.objectValue else {
                throw EngineError.invalidResponse(run.runId, "it must be a JSON object, not \(response.typeName)")
            }
            do {
                try graph.patching.validate(patch, source: "the response")
            } catch {
                throw EngineError.invalidResponse(run.runId, error.message)
            }
            graph.patching.apply(patch, to: &state)
            facts.removeAll { $0.template == "response" }
            facts.append(Fact(template: "response", slots: patch))
            decision = then
            event = .inputReceived(response: response)
        } else if let deadline = cursor.deadline, deadline <= Date() {
            switch spec.onTimeout {
            case .halt: decision = .halt(reason: "interrupt timed out", rule: rule)
            case .goto(let target): decision = .goto(target: target, rule: rule)
            }
            event = .interruptTimedOut
        } else {
            throw EngineError.awaitingInput(run.runId, prompt: spec.prompt)
        }
        run.state = .object(state)
        run.facts = FactCoding.json(facts)
        run.nextAction = RunCursor(after: cursor.after, decision: decision).json
        run.status = .running
        run.updatedAt = Date()
        try await events.update(run, event)
        return run
    }

    /// Executes the node or parallel block `move` names (the body of one interruptible step).
    private static func execute(
        _ move: NextMove, with executor: StepExecutor, step: Int, state: [String: JSONValue], inputHash: String, runId: String
    ) async throws(RunFailure) -> StepOutcome {
        switch move {
        case .node(let id):
            return try await executor.runNode(id, step: step, state: state, inputHash: inputHash)
        case .block(let block):
            return try await executor.runBlock(block, step: step, state: state, inputHash: inputHash)
        case .finish, .await:
            throw RunFailure(errorClass: "invalid_state", message: "run \(runId) has nothing to execute")
        }
    }

    private func drive(
        _ start: RunRecord, graph: CompiledGraph, observer: (any RunObserver)?, replay: ReplayContext?
    ) async throws -> RunRecord {
        var run = start
        var state = run.state.objectValue ?? [:]
        var facts = try FactCoding.facts(from: run.facts)
        var cursor = try RunCursor(json: run.nextAction)
        // The canonical JSON of `state` when the last commit already encoded it: the next step's
        // input hash is taken from the same bytes.
        var encodedState: [UInt8]?
        let executor = StepExecutor(graph: graph, runId: run.runId, replay: replay, logger: logger)
        // A request the run ended without taking (it finished before its next boundary) goes too.
        defer { _ = signals.take(start.runId) }
        while true {
            let move = graph.move(for: cursor.decision, after: cursor.after)
            if case .finish(let reason) = move {
                return try await end(run, status: .done, event: .runFinished(status: .done, reason: reason))
            }
            if let request = signals.take(run.runId) {
                let status: RunStatus = request == .pause ? .paused : .cancelled
                return try await end(run, status: status, event: status == .paused ? .runPaused : .runFinished(status: .cancelled, reason: "cancelled"))
            }
            if Task.isCancelled { return run }
            let step = run.stepCount
            guard step < run.maxSteps else {
                return try await fail(run, RunFailure(
                    errorClass: "max_steps_exceeded",
                    message: "run reached max_steps \(run.maxSteps) without finishing; raise the run's max_steps (in the graph, or when starting the run) or fix the loop"))
            }
            let stepStarted = DispatchTime.now().uptimeNanoseconds
            let inputBytes = encodedState ?? CanonicalJSON.bytes(.object(state))
            let inputHash = ContentHash.of(canonicalBytes: inputBytes)
            let outcome: StepOutcome
            switch move {
            case .node(let id): observer?.stepStarted(step, node: id, run: run)
            case .block(let block): observer?.stepStarted(step, node: block.stepLabel, run: run)
            case .finish, .await: break
            }
            do {
                let input = state, runId = run.runId
                outcome = try await signals.interruptible(runId) {
                    try await Self.execute(move, with: executor, step: step, state: input, inputHash: inputHash, runId: runId)
                }
            } catch {
                if signals.isCancelRequested(run.runId) { return try await cancelMidStep(run) }
                if Task.isCancelled { return run }
                return try await fail(run, error)
            }
            // A cancel that interrupted the step (a `delay` cut short) discards what it produced;
            // so does shutdown, which leaves the run `running` to redo the step on the next start.
            if signals.isCancelRequested(run.runId) { return try await cancelMidStep(run) }
            if Task.isCancelled { return run }
            graph.patching.apply(outcome.patch, to: &state)
            let stateBytes = outcome.patch.isEmpty ? inputBytes : CanonicalJSON.bytes(.object(state))
            let outputBytes = CanonicalJSON.bytes(outcome.output)
            var fired: [String] = []
            var decision: RoutingDecision
            if case .block(let block) = move {
                decision = .goto(target: block.join, rule: "parallel:join")
            } else {
                let evaluation = graph.evaluator.evaluate(EvaluationInput(
                    facts: facts, state: state, currentNode: outcome.label, isFirstEvaluation: step == 0))
                facts = evaluation.facts
                fired = evaluation.fired
                decision = Self.applying(outcome.control, label: outcome.label, to: evaluation.decision)
            }
            var failure: RunFailure?
            if case .retry(let target, _, let maxAttempts, let rule) = decision {
                let attempts = try await retryAttempts(runId: run.runId, rule: rule, target: target) + 1
                if attempts > maxAttempts {
                    failure = RunFailure(errorClass: "retry_exhausted", message: "rule '\(rule)' retried '\(target)' \(maxAttempts) times; giving up")
                }
            }
            let next = graph.move(for: decision, after: outcome.label)
            let decisionJSON = decision.json
            let now = Date()
            var deadline: Date?
            var stepEvents: [RunEvent] = outcome.events.map { .custom(node: outcome.label, type: $0.type, payload: $0.payload) }
            stepEvents.append(.step(node: outcome.label, nextAction: decisionJSON, changed: outcome.patch.keys.sorted()))
            switch (failure, next) {
            case (let failure?, _):
                run.status = .failed
                run.errorClass = failure.errorClass
                run.errorCause = failure.message
                stepEvents.append(.runFinished(status: .failed, reason: failure.message))
            case (nil, .finish(let reason)):
                run.status = .done
                stepEvents.append(.runFinished(status: .done, reason: reason))
            case (nil, .await(let spec)):
                run.status = .awaitingInput
                deadline = spec.timeoutSeconds.map { now.addingTimeInterval($0) }
                stepEvents.append(.interrupt(spec))
            default:
                run.status = .running
            }
            cursor = RunCursor(after: outcome.label, decision: decision, deadline: deadline)
            let checkpoint = CheckpointRecord(
                runId: run.runId, step: step, node: outcome.label, state: .object(state),
                facts: FactCoding.json(facts), nextAction: decisionJSON, output: outcome.output,
                inputHash: inputHash, outputHash: ContentHash.of(canonicalBytes: outputBytes), graphHash: graph.hash,
                rulesFired: fired, effects: outcome.effects, ts: now)
            run.state = checkpoint.state
            run.facts = checkpoint.facts
            run.stepCount = step + 1
            run.nextAction = cursor.json(decisionJSON: decisionJSON)
            run.updatedAt = now
            if run.status.isTerminal { run.finishedAt = now }
            try await events.commit(checkpoint, run: run, stepEvents, encoded: (
                String(decoding: stateBytes, as: UTF8.self), String(decoding: outputBytes, as: UTF8.self)))
            encodedState = stateBytes
            stepTimer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - stepStarted))
            observer?.stepCommitted(checkpoint, run: run)
            if run.status == .awaitingInput, let response = replay?.nextResponse() {
                run = try await answer(run, graph: graph, response: response)
                state = run.state.objectValue ?? [:]
                encodedState = nil
                facts = try FactCoding.facts(from: run.facts)
                cursor = try RunCursor(json: run.nextAction)
                continue
            }
            guard run.status == .running else { return run }
            if case .retry(_, let backoffMs, _, _) = decision, backoffMs > 0 {
                try? await Task.sleep(for: .milliseconds(backoffMs))
            }
        }
    }

    /// A node's own control request overrides the rules' routing: `halt` halts; `interrupt`
    /// waits, then continues with the rules' routing.
    private static func applying(_ control: NodeControl?, label: String, to decision: RoutingDecision) -> RoutingDecision {
        switch control {
        case nil:
            return decision
        case .halt(let reason):
            // A rule that halts here anyway keeps its own reason when the node gives none.
            if reason == nil, case .halt = decision { return decision }
            return .halt(reason: reason ?? "halted by node \(label)", rule: "node:\(label)")
        case .interrupt(let spec):
            if case .interrupt(_, _, let then) = decision {
                return .interrupt(spec, rule: "node:\(label)", then: then)
            }
            return .interrupt(spec, rule: "node:\(label)", then: decision)
        }
    }

    private func retryAttempts(runId: String, rule: String, target: String) async throws -> Int {
        try await store.checkpoints(runId: runId).count { checkpoint in
            checkpoint.nextAction["kind"]?.stringValue == "retry"
                && checkpoint.nextAction["rule"]?.stringValue == rule
                && checkpoint.nextAction["target"]?.stringValue == target
        }
    }

    private func fail(_ stored: RunRecord, _ error: Error) async throws -> RunRecord {
        let failure = error as? RunFailure ?? RunFailure(errorClass: "EngineError", message: "\(error)")
        var run = stored
        run.errorClass = failure.errorClass
        run.errorCause = failure.message
        return try await end(run, status: .failed, event: .runFinished(status: .failed, reason: failure.message))
    }

    /// Ends `run` cancelled by a request that arrived during its step, which is not committed.
    private func cancelMidStep(_ run: RunRecord) async throws -> RunRecord {
        _ = signals.take(run.runId)
        return try await end(run, status: .cancelled, event: .runFinished(status: .cancelled, reason: "cancelled"))
    }

    private func end(_ stored: RunRecord, status: RunStatus, event: RunEvent) async throws -> RunRecord {
        var run = stored
        let now = Date()
        run.status = status
        run.updatedAt = now
        if status.isTerminal { run.finishedAt = now }
        try await events.update(run, event)
        return run
    }
}
