import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphAudit
@testable import StargraphEngine

/// A side-effecting kind reading the host clock and randomness, as a plugin would.
struct ClockKind: NodeKind {
    let name = "test.clock"
    var info: NodeKindInfo { NodeKindInfo(sideEffecting: true, provider: "test@1.0.0") }

    func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
        ClosureNode { _, context in
            NodeResult(patch: ["stamp": .number(context.host.nowMillis()), "dice": .number(Double(context.host.random() % 6))])
        }
    }
}

@Suite("Replay")
struct ReplayTests {
    static let clockGraph = """
    ir_version: "1.0.0"
    id: clocked
    nodes:
      - {id: start, kind: echo}
      - {id: tick, kind: test.clock}
      - {id: label, kind: template, config: {template: "{{message}} at {{stamp}} rolled {{dice}}", output: summary}}
    state_schema: {message: str, stamp: int, dice: int, summary: str}
    """

    static let routed = """
    ir_version: "1.0.0"
    id: routed
    nodes:
      - {id: decide, kind: set, config: {values: {route: left}}}
      - {id: left, kind: set, config: {values: {result: L}}}
      - {id: right, kind: set, config: {values: {result: R}}}
      - {id: finish, kind: halt}
    state_schema: {route: str, result: str}
    rules:
      - {id: flag, when: "(urgent (level high)) (node-id (id decide))", then: [{kind: goto, target: right}]}
      - {id: go-left, when: {node: decide, route: left}, then: [{kind: goto, target: left}]}
      - {id: go-right, when: {node: decide, route: right}, then: [{kind: goto, target: right}]}
      - {id: done-left, when: {node: left}, then: [{kind: goto, target: finish}]}
    rule_packs:
      v2:
        - {id: always-right, when: {node: decide}, then: [{kind: goto, target: right}]}
    """

    func contents(_ store: SQLiteRunStore, _ runId: String) throws -> [String] {
        try store.checkpoints(runId: runId).map { checkpoint in
            CanonicalJSON.encode([
                "step": .number(Double(checkpoint.step)), "node": .string(checkpoint.node), "state": checkpoint.state,
                "facts": checkpoint.facts, "next_action": checkpoint.nextAction, "output": checkpoint.output,
            ])
        }
    }

    @Test func twentyForksAreByteIdentical() async throws {
        let harness = try await EngineHarness(nodeKinds: [ClockKind()])
        let forks = Counterfactuals(engine: harness.engine)
        for yaml in [try EngineHarness.fixture("pipeline.yaml"), Self.clockGraph] {
            let parent = try await harness.run(yaml, inputs: ["message": "hello"])
            #expect(parent.status == .done)
            var hashes = Set<String>()
            var bodies = Set<[String]>()
            for _ in 0..<20 {
                let replay = try await forks.replay(parentRunId: parent.runId)
                #expect(replay.run.status == .done)
                #expect(replay.run.runId.hasPrefix("cf-"))
                hashes.insert(replay.diff.derivedHash)
                bodies.insert(try contents(harness.store, replay.run.runId))
                #expect(replay.diff.addedSteps.isEmpty && replay.diff.removedSteps.isEmpty)
                #expect(replay.diff.stateDeltas.isEmpty && replay.diff.factDeltas.isEmpty)
            }
            #expect(hashes.count == 1)
            #expect(bodies.count == 1)
            #expect(bodies.first == (try contents(harness.store, parent.runId)))
        }
    }

    @Test func realSideEffectingPluginNodeReplaysIdentically() async throws {
        let runtime = try await PluginFixtures.runtime(manifestPath: PluginFixtures.defaultManifest)
        defer { runtime.close() }
        let graph = try #require(runtime.graphs.entry("hello:greet-and-stamp")).graph
        #expect(graph.sideEffectingNodes == ["stamp"])
        let parent = try await runtime.engine.start(graph, inputs: ["name": "ada"])
        #expect(parent.status == .done)
        let stamp = try #require(try runtime.sqliteStore.checkpoint(runId: parent.runId, step: 1))
        #expect(stamp.effects.arrayValue?.compactMap { $0["op"]?.stringValue } == ["now", "random", "uuid"])
        let forks = Counterfactuals(engine: runtime.engine)
        var hashes = Set<String>()
        for _ in 0..<20 {
            let replay = try await forks.replay(parentRunId: parent.runId)
            #expect(replay.run.state == parent.state, "clock, dice and ticket come from the recording")
            #expect(try contents(runtime.sqliteStore, replay.run.runId) == (try contents(runtime.sqliteStore, parent.runId)))
            hashes.insert(replay.diff.derivedHash)
        }
        #expect(hashes.count == 1)
        // A different input misses the recording: a ReplayError naming node and step, unless live.
        let missed = try await forks.replay(parentRunId: parent.runId, mutation: ["state_overrides": ["name": "bob"]])
        #expect(missed.run.errorClass == "ReplayError")
        #expect(missed.run.errorCause?.contains("'stamp' at step 1") == true)
        let live = try await forks.replay(parentRunId: parent.runId, mutation: ["state_overrides": ["name": "bob"]], live: true)
        #expect(live.run.status == .done)
        #expect(live.run.state["ticket"] != parent.state["ticket"])
    }

    @Test func sideEffectMissIsAReplayErrorUnlessLive() async throws {
        let harness = try await EngineHarness(nodeKinds: [ClockKind()])
        let forks = Counterfactuals(engine: harness.engine)
        let parent = try await harness.run(Self.clockGraph, inputs: ["message": "hello"])
        let mutation: JSONValue = ["state_overrides": ["message": "other"]]
        let failed = try await forks.replay(parentRunId: parent.runId, mutation: mutation)
        #expect(failed.run.status == .failed)
        #expect(failed.run.errorClass == "ReplayError")
        #expect(failed.run.errorCause?.contains("'tick' at step 1") == true)
        let live = try await forks.replay(parentRunId: parent.runId, mutation: mutation, live: true)
        #expect(live.run.status == .done)
        #expect(live.run.state["summary"]?.stringValue?.hasPrefix("other at ") == true)
    }

    @Test func stateOverridesShowInStateDeltasOfEveryStep() async throws {
        let harness = try await EngineHarness()
        let parent = try await harness.run(try EngineHarness.fixture("pipeline.yaml"), inputs: ["message": "hello"])
        let replay = try await Counterfactuals(engine: harness.engine)
            .replay(parentRunId: parent.runId, mutation: ["state_overrides": ["message": "mutated"], "facts_assert": [], "facts_retract": []])
        #expect(replay.diff.addedSteps.isEmpty && replay.diff.removedSteps.isEmpty)
        #expect(replay.diff.stateDeltas.keys.sorted() == [0, 1, 2])
        #expect(replay.diff.stateDeltas[0]?["message"] == RunDiff.FieldDelta(parent: "hello", cf: "mutated"))
        #expect(replay.run.state["message"] == "mutated")
    }

    @Test func nodeOutputOverrideChangesRouting() async throws {
        let harness = try await EngineHarness()
        let parent = try await harness.run(Self.routed)
        #expect(try harness.nodes(parent) == ["decide", "left", "finish"])
        let replay = try await Counterfactuals(engine: harness.engine)
            .replay(parentRunId: parent.runId, mutation: ["node_output_overrides": ["decide": ["route": "right"]]])
        #expect(try harness.nodes(replay.run) == ["decide", "right", "finish"])
        #expect(replay.diff.addedSteps == [RunDiff.StepRef(step: 1, node: "right")])
        #expect(replay.diff.removedSteps == [RunDiff.StepRef(step: 1, node: "left")])
        #expect(replay.diff.stateDeltas[0]?["route"] == RunDiff.FieldDelta(parent: "left", cf: "right"))
    }

    @Test func assertedFactChangesThePathAndShowsInFactDeltas() async throws {
        let harness = try await EngineHarness()
        let parent = try await harness.run(Self.routed)
        let replay = try await Counterfactuals(engine: harness.engine)
            .replay(parentRunId: parent.runId, mutation: ["facts_assert": ["(urgent (level high))"]])
        #expect(try harness.nodes(replay.run) == ["decide", "right", "finish"])
        let urgent = Fact(template: "urgent", slots: ["level": "high"])
        #expect(replay.diff.factDeltas[0]?.asserted == [urgent])
        #expect(replay.diff.addedSteps.count == 1)

        let retracted = try await Counterfactuals(engine: harness.engine)
            .replay(parentRunId: replay.run.runId, mutation: ["facts_retract": [["template": "urgent", "slots": ["level": "high"]]]])
        #expect(try harness.nodes(retracted.run) == ["decide", "left", "finish"])
        #expect(retracted.diff.factDeltas[0]?.retracted == [urgent])
    }

    @Test func rulePackVersionSelectsOtherRules() async throws {
        let harness = try await EngineHarness()
        let parent = try await harness.run(Self.routed)
        let replay = try await Counterfactuals(engine: harness.engine)
            .replay(parentRunId: parent.runId, mutation: ["rule_pack_version": "v2"])
        #expect(try harness.nodes(replay.run) == ["decide", "right", "finish"])
        await #expect(throws: MutationError.self) {
            try await Counterfactuals(engine: harness.engine).fork(parentRunId: parent.runId, mutation: ["rule_pack_version": "v9"])
        }
    }

    @Test func respondPayloadsAnswerTheForksInterrupts() async throws {
        let harness = try await EngineHarness()
        let waiting = try await harness.run(try EngineHarness.fixture("hitl-graph.yaml"), inputs: ["message": "hello"])
        let parent = try await harness.engine.resume(runId: waiting.runId, response: ["reply": "blue"])
        let forks = Counterfactuals(engine: harness.engine)
        let answered = try await forks.replay(parentRunId: parent.runId, mutation: ["respond_payloads": [["reply": "red"]]])
        #expect(answered.run.status == .done)
        #expect(answered.run.state["reply"] == "red")
        #expect(answered.diff.stateDeltas[1]?["reply"] == RunDiff.FieldDelta(parent: "blue", cf: "red"))
        let unanswered = try await forks.replay(parentRunId: parent.runId)
        #expect(unanswered.run.status == .awaitingInput)
        // Forking after the interrupt reuses the parent's recorded answer.
        let late = try await forks.replay(parentRunId: parent.runId, fromStep: 1)
        #expect(late.run.status == .done)
        #expect(late.run.state["reply"] == "blue")
        #expect(try harness.store.checkpoints(runId: late.run.runId).map(\.step) == [1])
    }

    @Test func parentRowsAndAuditAreUntouchedByForks() async throws {
        let harness = try await EngineHarness(auditLog: true)
        let parent = try await harness.run(Self.routed)
        let audit = harness.directory.appendingPathComponent("audit.jsonl").path
        func snapshot() async throws -> [String] {
            let run = try #require(try harness.store.run(parent.runId))
            let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("\"run_id\":\"\(parent.runId)\"") }.map(String.init)
            return [CanonicalJSON.encode(RunSummary(run).json)] + (try contents(harness.store, parent.runId))
                + (try await harness.store.events(runId: parent.runId).map { CanonicalJSON.encode($0.payload) + $0.type }) + lines
        }
        let before = try await snapshot()
        let forks = Counterfactuals(engine: harness.engine)
        _ = try await forks.replay(parentRunId: parent.runId)
        _ = try await forks.replay(parentRunId: parent.runId, fromStep: 1, mutation: ["state_overrides": ["route": "right"]])
        _ = try await forks.replay(parentRunId: parent.runId, mutation: ["rule_pack_version": "v2"])
        #expect(try await snapshot() == before)
        let verification = try AuditVerifier.verify(path: audit)
        guard case .intact = verification else {
            Issue.record("the audit log no longer verifies after the forks: \(verification)")
            return
        }
    }

    @Test func badRequestsWriteNothing() async throws {
        let harness = try await EngineHarness()
        let parent = try await harness.run(Self.routed)
        let forks = Counterfactuals(engine: harness.engine)
        let bad: [(Int, JSONValue)] = [
            (3, .object([:])), (-1, .object([:])),
            (0, ["state_overrides": ["nosuch": 1]]), (0, ["state_overrides": ["route": 5]]),
            (0, ["node_output_overrides": ["ghost": [:]]]), (0, ["surprise": true]), (0, ["facts_assert": "x"]),
            (0, ["facts_retract": ["(not (a))"]]), (0, .array([])),
        ]
        for (step, mutation) in bad {
            await #expect(throws: (any Error).self) { try await forks.fork(parentRunId: parent.runId, fromStep: step, mutation: mutation) }
        }
        await #expect(throws: EngineError.self) { try await forks.fork(parentRunId: "run-missing") }
        #expect(try harness.store.listRuns(RunQuery()).total == 1)
    }

    @Test func resumeRefusesAChangedGraph() async throws {
        let harness = try await EngineHarness()
        let waiting = try await harness.run(try EngineHarness.fixture("hitl-graph.yaml"), inputs: ["message": "hi"])
        let changed = try harness.compile(try EngineHarness.fixture("hitl-graph.yaml").replacingOccurrences(of: "kind: echo\n  - id: post", with: "kind: passthrough\n  - id: post"))
        await #expect {
            try await harness.engine.resume(runId: waiting.runId, response: ["reply": "x"], currentGraph: changed)
        } throws: { error in
            guard case EngineError.graphChanged(_, let stored, let current) = error else { return false }
            return stored == waiting.graphHash && current == changed.hash && stored != current
        }
    }
}
