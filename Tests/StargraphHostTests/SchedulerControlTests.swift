import Foundation
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphEngine
@testable import StargraphScheduler

@Suite("Scheduler: cancel, pause, resume, respond")
struct SchedulerControlTests {
    @Test func cancelAndPauseAQueuedRunAtOnce() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let store = scheduler.runtime.store
        let doomed = try await scheduler.submit(RunRequest(graphId: "quick", params: [:])).run.runId
        let held = try await scheduler.submit(RunRequest(graphId: "quick", params: [:])).run.runId

        let cancelled = try await scheduler.cancel(doomed)
        #expect(cancelled.status == .cancelled)
        #expect(try await store.events(runId: doomed).last?.type == "run_cancelled")
        let paused = try await scheduler.pause(held)
        #expect(paused.status == .paused)
        #expect(try await store.events(runId: held).last?.type == "run_paused")
        #expect(try await SchedulerHarness.queueRows(store) == 0)

        let again = await schedulerError { try await scheduler.cancel(doomed) }
        guard case .invalidTransition(doomed, .cancelled, "cancel") = again else { Issue.record("got \(String(describing: again))"); return }
        #expect(again?.description.contains("cancelled") == true)

        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let resumed = try await scheduler.resume(held)
        #expect(resumed.status == .pending)
        let done = try await SchedulerHarness.waitFor(held, in: store)
        #expect(done.status == .done)
        #expect(try await SchedulerHarness.stepLedger(held, in: store).steps == [0, 1, 2])
        #expect(try await store.run(doomed)?.status == .cancelled)
        #expect(try await store.checkpoints(runId: doomed).isEmpty)
    }

    @Test func cancelARunningRunWaitsForTheStepBoundary() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 150, steps: 6), nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "slow", params: [:])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.stepCount >= 2 }
        let cancelled = try await scheduler.cancel(runId)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.stepCount < 6)
        #expect(try await SchedulerHarness.stepLedger(runId, in: store).steps == Array(0..<cancelled.stepCount))
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await SchedulerHarness.queueRows(store) == 0)
    }

    @Test("cancel interrupts the step in flight: a 20 s delay ends at once and is not committed")
    func cancelInterruptsTheStep() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "long", delayMs: 20_000), nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "long", params: [:])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.stepCount >= 1 }
        let cancelled = try await scheduler.cancel(runId)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.stepCount == 1, "the delay's step was interrupted, not committed")
        #expect(try await SchedulerHarness.stepLedger(runId, in: store).steps == [0])
    }

    /// A kind whose step waits 1.5 s and ignores cancellation (as a plugin that never checks
    /// `is_cancelled` does).
    struct StubbornKind: NodeKind {
        var name: String { "stubborn" }
        var info: NodeKindInfo { NodeKindInfo(sideEffecting: false) }
        var isSerial: Bool { false }
        func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
            ClosureNode { _, _ in
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { continuation.resume() }
                }
                return NodeResult(patch: ["phase": "stubborn"])
            }
        }
    }

    @Test("a step that ignores cancellation: cancel answers while it runs; the run ends cancelled without it")
    func cancelDoesNotWaitForAStubbornStep() async throws {
        let graph = """
            ir_version: "1.0.0"
            id: "stubborn"
            nodes: [{id: hold, kind: stubborn}]
            state_schema: {phase: str}
            """
        let harness = try SchedulerHarness(graphs: [(graph, nil)], nodeKinds: [StubbornKind()])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "stubborn", params: [:])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.status == .running }
        try await Task.sleep(for: .milliseconds(200))  // into the step, well before its 1.5 s end
        let answered = try await scheduler.cancel(runId)
        #expect(answered.status == .running, "answered before the step returned (a 202 over HTTP)")
        let final = try await SchedulerHarness.waitFor(runId, in: store)
        #expect(final.status == .cancelled)
        #expect(final.stepCount == 0 && final.state["phase"] == nil, "the step's output was discarded")
        #expect(try await store.checkpoints(runId: runId).isEmpty)
    }

    @Test func pauseARunningRunThenResumeItToTheEnd() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 100, steps: 6), nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "slow", params: [:])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.stepCount >= 1 }
        let paused = try await scheduler.pause(runId)
        #expect(paused.status == .paused)
        let stepsAtPause = paused.stepCount
        try await Task.sleep(for: .milliseconds(250))
        #expect(try await store.run(runId)?.stepCount == stepsAtPause, "a paused run must not advance")

        let twice = await schedulerError { try await scheduler.pause(runId) }
        guard case .invalidTransition(_, .paused, "pause") = twice else { Issue.record("got \(String(describing: twice))"); return }
        let answer = await schedulerError { try await scheduler.respond(runId, response: [:]) }
        guard case .invalidTransition(_, .paused, "respond") = answer else { Issue.record("got \(String(describing: answer))"); return }

        _ = try await scheduler.resume(runId)
        let done = try await SchedulerHarness.waitFor(runId, in: store)
        #expect(done.status == .done)
        let ledger = try await SchedulerHarness.stepLedger(runId, in: store)
        #expect(ledger.steps == [0, 1, 2, 3, 4, 5])
        #expect(ledger.stepEvents == 6)
        let resumeAgain = await schedulerError { try await scheduler.resume(runId) }
        guard case .invalidTransition(_, .done, "resume") = resumeAgain else { Issue.record("got \(String(describing: resumeAgain))"); return }
    }

    @Test func respondChecksTheResponseAndContinuesTheRun() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.hitlGraph, nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "test:hitl", params: ["message": "hi"])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.status == .awaitingInput }

        let resume = await schedulerError { try await scheduler.resume(runId) }
        guard case .invalidTransition(_, .awaitingInput, "resume") = resume else { Issue.record("got \(String(describing: resume))"); return }
        let pause = await schedulerError { try await scheduler.pause(runId) }
        guard case .invalidTransition(_, .awaitingInput, "pause") = pause else { Issue.record("got \(String(describing: pause))"); return }
        for bad: JSONValue in ["blue", ["reply": 3], ["colour": "blue"]] {
            let refused = await schedulerError { try await scheduler.respond(runId, response: bad) }
            guard case .invalidResponse = refused else { Issue.record("\(bad): got \(String(describing: refused))"); return }
        }
        #expect(try await store.run(runId)?.status == .awaitingInput)

        _ = try await scheduler.respond(runId, response: ["reply": "blue"])
        let done = try await SchedulerHarness.waitFor(runId, in: store)
        #expect(done.status == .done)
        #expect(done.state["reply"] == "blue")
        let late = await schedulerError { try await scheduler.respond(runId, response: ["reply": "red"]) }
        guard case .invalidTransition(_, .done, "respond") = late else { Issue.record("got \(String(describing: late))"); return }
    }

    @Test func anUnansweredInterruptTimesOutIntoItsOnTimeout() async throws {
        let graph = SchedulerHarness.hitlGraph
            .replacingOccurrences(of: "test:hitl", with: "test:timeout")
            .replacingOccurrences(of: "prompt: \"What should I reply?\"", with: "prompt: \"Reply?\", timeout: 0.3, on_timeout: \"goto:post\"")
        let harness = try SchedulerHarness(graphs: [(graph, nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "test:timeout", params: ["message": "hi"])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.status == .awaitingInput }
        let done = try await SchedulerHarness.waitFor(runId, in: store, timeout: .seconds(10))
        #expect(done.status == .done)
        #expect(try await store.checkpoints(runId: runId).map(\.node) == ["pre", "post"])
        #expect(try await store.events(runId: runId).contains { $0.type == "interrupt_timed_out" })
    }

    @Test func aRunWhoseGraphChangedSinceIsNotResumed() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.hitlGraph, nil)])
        let first = try await harness.scheduler()
        let task = SchedulerHarness.start(first)
        let runId = try await first.submit(RunRequest(graphId: "test:hitl", params: ["message": "hi"])).run.runId
        let waiting = try await SchedulerHarness.waitFor(runId, in: first.runtime.sqliteStore) { $0.status == .awaitingInput }
        task.cancel()
        _ = await task.result

        // The next start registers a different graph under the same id.
        var options = StargraphRuntime.Options()
        options.database = harness.databasePath
        let runtime = try await StargraphRuntime.open(options)
        let changed = try runtime.compiler.compile(
            text: SchedulerHarness.hitlGraph.replacingOccurrences(of: "kind: echo}\n  - {id: post", with: "kind: passthrough}\n  - {id: post"),
            sourceName: "v2.yaml")
        #expect(changed.hash != waiting.graphHash)
        var registry = GraphRegistry()
        try registry.register(.init(graph: changed, origin: "file:v2.yaml"))
        let second = RunScheduler(runtime: runtime.scheduling, graphs: registry, workers: 2, triggers: [], logger: Logger(label: "test"))
        let restarted = SchedulerHarness.start(second)
        defer { restarted.cancel() }
        _ = try await second.respond(runId, response: ["reply": "blue"])
        let refused = try await SchedulerHarness.waitFor(runId, in: runtime.sqliteStore)
        #expect(refused.status == .failed)
        #expect(refused.errorCause?.contains(waiting.graphHash) == true && refused.errorCause?.contains(changed.hash) == true)
        #expect(try runtime.sqliteStore.checkpoints(runId: runId).map(\.node) == ["pre"])
    }

    @Test func cancelAnAwaitingRunAndUnknownRuns() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.hitlGraph, nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let runId = try await scheduler.submit(RunRequest(graphId: "test:hitl", params: [:])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.status == .awaitingInput }
        #expect(try await scheduler.cancel(runId).status == .cancelled)
        let missing = await schedulerError { try await scheduler.cancel("run-missing") }
        guard case .runNotFound("run-missing") = missing else { Issue.record("got \(String(describing: missing))"); return }
    }

    @Test func aRunOfAnotherProcessCannotBeStoppedHere() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let (runtime, graphs) = try await harness.openRuntime()
        let graph = try #require(graphs.entry("quick")).graph
        let created = try await runtime.engine.createRun(graph, inputs: [:])
        _ = try await runtime.sqliteStore.transitionStatus(runId: created.runId, from: [.pending], to: .running)
        let refused = await schedulerError { try await scheduler.cancel(created.runId) }
        guard case .invalidTransition(_, .running, "cancel") = refused else { Issue.record("got \(String(describing: refused))"); return }
        #expect(refused?.description.contains("another process") == true)
    }

    /// A cancel or pause sent to one scheduler for a run another scheduler on the same database
    /// executes is recorded for that one, which applies it at its next sweep.
    @Test func aRunExecutingInAnotherSchedulerIsStoppedThroughTheDatabase() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 400, steps: 12), nil)])
        let owner = try await harness.scheduler()
        let task = SchedulerHarness.start(owner)
        defer { task.cancel() }
        let other = try await harness.scheduler()
        let store = owner.runtime.store
        let doomed = try await owner.submit(RunRequest(graphId: "slow", params: [:])).run.runId
        let paused = try await owner.submit(RunRequest(graphId: "slow", params: [:])).run.runId
        for runId in [doomed, paused] { _ = try await SchedulerHarness.waitFor(runId, in: store) { $0.stepCount >= 1 } }

        #expect(try await other.cancel(doomed).status == .running, "answered before the owner applied it")
        #expect(try await other.pause(paused).status == .running)
        let cancelled = try await SchedulerHarness.waitFor(doomed, in: store)
        #expect(cancelled.status == .cancelled && cancelled.stepCount < 12)
        let stopped = try await SchedulerHarness.waitFor(paused, in: store) { $0.status != .running }
        #expect(stopped.status == .paused)
        let again = await schedulerError { try await other.cancel(doomed) }
        guard case .invalidTransition(_, .cancelled, "cancel") = again else { Issue.record("got \(String(describing: again))"); return }
    }

    /// Runs accepted straight into a reserved worker slot and cancelled at once: each ends
    /// cancelled (or done, when it finished first) and is never moved on from a final status.
    @Test func cancellingRunsJustAcceptedIntoAWorkerNeverLosesTheCancel() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 2), nil)])
        let scheduler = try await harness.scheduler(workers: 4)
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let warmUp = try await scheduler.submit(RunRequest(graphId: "quick", params: [:]))
        _ = try await SchedulerHarness.waitFor(warmUp.run.runId, in: store)

        let outcomes = try await withThrowingTaskGroup(of: (String, RunStatus, RunStatus).self) { group in
            for _ in 0..<24 {
                group.addTask {
                    let accepted = try await scheduler.submit(RunRequest(graphId: "quick", params: [:])).run
                    let answered = try await scheduler.cancel(accepted.runId)
                    return (accepted.runId, accepted.status, answered.status)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.contains { $0.1 == .running }, "some runs should have been accepted into a free slot")
        try await Task.sleep(for: .milliseconds(100))
        for (runId, _, answered) in outcomes {
            #expect([.cancelled, .done].contains(answered))
            let history = try await store.history(runId: runId).map(\.status)
            #expect(history.last == answered, "run \(runId) went \(history) after cancel answered \(answered)")
            #expect(history.filter(\.isTerminal).count == 1, "run \(runId): \(history)")
        }
        #expect(outcomes.contains { $0.2 == .cancelled })
        #expect(try await SchedulerHarness.queueRows(store) == 0)
    }
}

