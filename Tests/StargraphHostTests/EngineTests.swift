import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphStore
@testable import StargraphAudit
@testable import StargraphEngine

@Suite("Engine")
struct EngineTests {
    @Test func helloCompatGraph() async throws {
        let harness = try await EngineHarness()
        let run = try await harness.run(try EngineHarness.fixture("hello.yaml"), inputs: ["message": "hello"])
        #expect(run.status == .done)
        #expect(try harness.nodes(run) == ["node_a", "node_b"])
        #expect(run.state == ["message": "hello"])
    }

    @Test func pipelineCompatGraph() async throws {
        let harness = try await EngineHarness()
        let run = try await harness.run(try EngineHarness.fixture("pipeline.yaml"), inputs: ["message": "hello"])
        #expect(run.status == .done)
        #expect(try harness.nodes(run) == ["node_a", "node_b", "node_c"])
    }

    @Test func hitlCompatGraphWaitsThenContinues() async throws {
        let harness = try await EngineHarness()
        let waiting = try await harness.run(try EngineHarness.fixture("hitl-graph.yaml"), inputs: ["message": "hello"])
        #expect(waiting.status == .awaitingInput)
        #expect(try harness.nodes(waiting) == ["pre"])
        await #expect(throws: EngineError.self) { try await harness.engine.resume(runId: waiting.runId) }
        await #expect(throws: EngineError.self) {
            try await harness.engine.resume(runId: waiting.runId, response: ["reply": 3])
        }
        let done = try await harness.engine.resume(runId: waiting.runId, response: ["reply": "blue"])
        #expect(done.status == .done)
        #expect(try harness.nodes(done) == ["pre", "post"])
        #expect(done.state["reply"] == "blue")
        let facts = try FactCoding.facts(from: done.facts)
        #expect(facts.contains(Fact(template: "response", slots: ["reply": "blue"])))
    }

    @Test func ruleLoopRunsUntilStateChanges() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: loop
        nodes:
          - {id: inc, kind: set, config: {values: {count: 1}}}
          - {id: never, kind: fail}
        state_schema:
          count: {type: int, default: 0, reducer: sum}
        rules:
          - {id: again, when: {node: inc, count: {lt: 5}}, then: [{kind: goto, target: inc}]}
          - {id: stop, when: {node: inc, count: {ge: 5}}, then: [{kind: halt, reason: counted}]}
        """
        let harness = try await EngineHarness()
        let run = try await harness.run(yaml)
        #expect(run.status == .done)
        #expect(try harness.nodes(run) == Array(repeating: "inc", count: 5))
        #expect(run.state["count"] == 5)
        #expect(try harness.store.checkpoints(runId: run.runId).map(\.step) == [0, 1, 2, 3, 4])
    }

    @Test("a delay or interrupt timeout beyond 30 days is a config error, not a trap at run time")
    func builtinDurationsAreBounded() async throws {
        let harness = try await EngineHarness()
        for config in ["{id: wait, kind: delay, config: {ms: 9007199254740991}}", "{id: ask, kind: interrupt, config: {timeout: 99999999999.5}}"] {
            let yaml = """
            ir_version: "1.0.0"
            id: bounded
            nodes: [\(config)]
            """
            let error = await #expect(throws: GraphCompileError.self) { _ = try await harness.run(yaml) }
            #expect(error.map { "\($0)" }?.contains("must be at most") == true, "\(config): \(String(describing: error))")
            #expect(error.map { "\($0)" }?.contains(":3:") == true, "the error names the config's line: \(String(describing: error))")
        }
    }

    @Test func maxStepsFailsTheRun() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: forever
        max_steps: 7
        nodes: [{id: spin, kind: passthrough}]
        rules: [{id: again, when: {node: spin}, then: [{kind: goto, target: spin}]}]
        """
        let harness = try await EngineHarness()
        let run = try await harness.run(yaml)
        #expect(run.status == .failed)
        #expect(run.errorClass == "max_steps_exceeded")
        #expect(try harness.nodes(run).count == 7)
        let limited = try await harness.run(yaml, maxSteps: 3)
        #expect(try harness.nodes(limited).count == 3)
    }

    static let parallelGraph = """
    ir_version: "1.0.0"
    id: fan
    nodes:
      - {id: start, kind: passthrough}
      - {id: left, kind: set, config: {values: {a: 1, tags: [l]}}}
      - {id: right, kind: set, config: {values: {b: 2, tags: [r]}}}
      - {id: clash, kind: set, config: {values: {a: 9}}}
      - {id: join, kind: halt}
    state_schema:
      a: int
      b: int
      tags: {type: list, default: [], reducer: append}
    parallel:
      - {id: both, targets: [left, right], join: join, strategy: all}
      - {id: conflict, targets: [left, clash], join: join, strategy: all}
    rules:
      - {id: fan-out, when: "(initial-fact)", then: [{kind: goto, target: TARGET}]}
    """

    @Test func parallelBranchesWritingDifferentFieldsBothLand() async throws {
        let harness = try await EngineHarness()
        let run = try await harness.run(Self.parallelGraph.replacingOccurrences(of: "TARGET", with: "both"))
        #expect(run.status == .done)
        #expect(run.state["a"] == 1)
        #expect(run.state["b"] == 2)
        #expect(run.state["tags"] == ["l", "r"])
        #expect(try harness.nodes(run) == ["start", "parallel:left+right", "join"])
    }

    @Test func parallelConflictWithoutReducerFails() async throws {
        let harness = try await EngineHarness()
        let run = try await harness.run(Self.parallelGraph.replacingOccurrences(of: "TARGET", with: "conflict"))
        #expect(run.status == .failed)
        #expect(run.errorClass == "parallel_conflict")
        #expect(run.errorCause?.contains("'a'") == true)
    }

    @Test func quorumTakesFirstSuccesses() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: quorum
        nodes:
          - {id: start, kind: passthrough}
          - {id: fast, kind: set, config: {values: {x: 1}}}
          - {id: slow, kind: delay, config: {ms: 5000}}
          - {id: broken, kind: fail, config: {message: boom}}
          - {id: join, kind: halt}
        state_schema: {x: int}
        rules:
          - {id: go, when: "(initial-fact)", then: [{kind: parallel, targets: [fast, slow, broken], join: join, strategy: "quorum:1"}]}
        """
        let harness = try await EngineHarness()
        let started = Date()
        let run = try await harness.run(yaml)
        #expect(run.status == .done)
        #expect(try harness.nodes(run) == ["start", "parallel:fast+slow+broken", "join"])
        #expect(run.state["x"] == 1)
        #expect(Date().timeIntervalSince(started) < 4.5, "quorum:1 must not wait for the slow branch")
    }

    @Test func failNodeAndHaltNode() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: failing
        nodes:
          - {id: boom, kind: fail, config: {error_class: Kaboom, message: "it broke"}}
        """
        let harness = try await EngineHarness()
        let failed = try await harness.run(yaml)
        #expect(failed.status == .failed)
        #expect(failed.errorClass == "Kaboom")
        #expect(failed.errorCause?.contains("it broke") == true)

        let halting = """
        ir_version: "1.0.0"
        id: halting
        nodes: [{id: first, kind: halt}, {id: second, kind: fail}]
        """
        let done = try await harness.run(halting)
        #expect(done.status == .done)
        #expect(try harness.nodes(done) == ["first"])
    }

    @Test func factsAreAssertedRetractedAndCheckpointed() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: facts
        nodes: [{id: a, kind: passthrough}, {id: b, kind: passthrough}, {id: c, kind: passthrough}]
        rules:
          - {id: mark, when: {node: a}, then: [{kind: assert, fact: seen, slots: {who: a}}]}
          - {id: route, when: "(seen (who a)) (node-id (id b))", then: [{kind: retract, pattern: "(seen (who a))"}, {kind: goto, target: c}]}
        """
        let harness = try await EngineHarness()
        let run = try await harness.run(yaml)
        let checkpoints = try harness.store.checkpoints(runId: run.runId)
        #expect(try FactCoding.facts(from: checkpoints[0].facts) == [Fact(template: "seen", slots: ["who": "a"])])
        #expect(try FactCoding.facts(from: checkpoints[1].facts).isEmpty)
        #expect(checkpoints[1].rulesFired == ["route"])
        #expect(run.status == .done)
    }

    @Test func retryGivesUpAfterMaxAttempts() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: retry
        nodes: [{id: flaky, kind: passthrough}]
        rules: [{id: again, when: {node: flaky}, then: [{kind: retry, target: flaky, backoff_ms: 1, max_attempts: 2}]}]
        """
        let harness = try await EngineHarness()
        let run = try await harness.run(yaml)
        #expect(run.status == .failed)
        #expect(run.errorClass == "retry_exhausted")
        #expect(try harness.nodes(run).count == 3)
    }

    @Test func pauseAtStepBoundaryThenResume() async throws {
        let harness = try await EngineHarness()
        let graph = try harness.compile(try EngineHarness.fixture("pipeline.yaml"))
        let created = try await harness.engine.createRun(graph, inputs: ["message": "hi"])
        harness.engine.signals.request(.pause, for: created.runId)
        let paused = try await harness.engine.execute(runId: created.runId)
        #expect(paused.status == .paused)
        #expect(paused.stepCount == 0)
        let done = try await harness.engine.resume(runId: created.runId)
        #expect(done.status == .done)
        #expect(try harness.nodes(done) == ["node_a", "node_b", "node_c"])
    }

    @Test func manyConcurrentRunsAllCheckpoint() async throws {
        let harness = try await EngineHarness()
        let graph = try harness.compile(try EngineHarness.fixture("pipeline.yaml"))
        let statuses = try await withThrowingTaskGroup(of: RunStatus.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let run = try await harness.engine.createRun(graph, inputs: ["message": .string("m\(index)")])
                    return try await harness.engine.execute(runId: run.runId).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 40 && statuses.allSatisfy { $0 == .done })
        #expect(try harness.store.listRuns(RunQuery(limit: 100)).total == 40)
    }

    @Test func patchOutsideSchemaFailsClearly() async throws {
        let yaml = """
        ir_version: "1.0.0"
        id: typed
        nodes: [{id: t, kind: template, config: {template: "n={{n}}", output: text}}]
        state_schema: {n: int, text: str}
        """
        let harness = try await EngineHarness()
        let run = try await harness.run(yaml, inputs: ["n": 4])
        #expect(run.state["text"] == "n=4")
        #expect(throws: GraphCompileError.self) {
            try harness.compile(yaml.replacingOccurrences(of: "output: text", with: "output: missing"))
        }
    }

    @Test func inputsAreCoercedByType() throws {
        let schema = StateSchema(fields: [
            FieldSpec(name: "n", type: .int), FieldSpec(name: "f", type: .float), FieldSpec(name: "ok", type: .bool),
            FieldSpec(name: "items", type: .list), FieldSpec(name: "s", type: .str),
        ])
        let inputs = try RunInputs.parse(pairs: ["n=3", "f=2.5", "ok=true", "items=[1,2]", "s=a=b"], schema: schema)
        #expect(inputs == ["n": 3, "f": 2.5, "ok": true, "items": [1, 2], "s": "a=b"])
        #expect(throws: InputError.self) { try RunInputs.parse(pairs: ["n=x"], schema: schema) }
        #expect(throws: InputError.self) { try RunInputs.parse(pairs: ["zz=1"], schema: schema) }
        #expect(throws: InputError.self) { try RunInputs.parse(pairs: ["novalue"], schema: schema) }
        #expect(throws: InputError.self) { try RunInputs.check(params: ["n": "3"], schema: schema) }
    }

    @Test func auditLogRecordsEveryEventAndVerifies() async throws {
        let harness = try await EngineHarness(auditLog: true)
        _ = try await harness.run(try EngineHarness.fixture("pipeline.yaml"), inputs: ["message": "x"])
        let path = harness.directory.appendingPathComponent("audit.jsonl").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)  // created, started, 3 steps, done
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 6))
    }

    /// A kind that emits a custom event through the host, as a plugin's `emit_event` does.
    struct EmitterKind: NodeKind {
        let name = "test.emitter"
        var info: NodeKindInfo { NodeKindInfo(sideEffecting: false) }
        func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
            ClosureNode { state, context in
                context.host.emit(type: "greeting", payload: ["to": state["message"] ?? .null])
                return NodeResult()
            }
        }
    }

    @Test func customEventsAreCommittedWithTheirStep() async throws {
        let harness = try await EngineHarness(nodeKinds: [EmitterKind()])
        let yaml = """
        ir_version: "1.0.0"
        id: emitting
        nodes: [{id: say, kind: test.emitter}]
        state_schema: {message: str}
        """
        let run = try await harness.run(yaml, inputs: ["message": "bob"])
        let custom = try await harness.store.events(runId: run.runId).filter { $0.type == "custom.greeting" }
        #expect(custom.count == 1)
        #expect(custom.first?.step == 0)
        #expect(custom.first?.payload == ["node": "say", "data": ["to": "bob"]])
    }
}
