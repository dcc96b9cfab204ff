import Foundation
import GRDB
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphSQLite
@testable import StargraphCore
@testable import StargraphStore
@testable import StargraphEngine
@testable import StargraphScheduler

@Suite("Scheduler: restart recovery")
struct SchedulerRecoveryTests {
    /// Stops a scheduler mid-run (graceful stop: running runs return at a checkpoint boundary),
    /// then starts another on the same database: every run ends done with one checkpoint per step.
    @Test func stoppedMidRunResumesFromLastCheckpoint() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 120, steps: 5), nil)])
        let first = try await harness.scheduler(workers: 3)
        let task = SchedulerHarness.start(first)
        var runIds: [String] = []
        for _ in 0..<6 { runIds.append(try await first.submit(RunRequest(graphId: "slow", params: [:])).run.runId) }
        _ = try await SchedulerHarness.waitFor(runIds[0], in: first.runtime.sqliteStore) { $0.stepCount >= 2 }
        task.cancel()
        try await task.value
        #expect(!first.isRunning)

        var interrupted: [RunRecord] = []
        for runId in runIds { interrupted.append(try #require(try await first.runtime.sqliteStore.run(runId))) }
        #expect(interrupted.contains { $0.status == .running && $0.stepCount > 0 }, "some run should be half done")
        #expect(interrupted.contains { $0.status == .pending }, "some run should not have started")
        #expect(try await SchedulerHarness.queueRows(first.runtime.sqliteStore) == 6)

        let second = try await harness.scheduler(workers: 3)
        let restarted = SchedulerHarness.start(second)
        defer { restarted.cancel() }
        for runId in runIds {
            let run = try await SchedulerHarness.waitFor(runId, in: second.runtime.sqliteStore)
            #expect(run.status == .done)
            let ledger = try await SchedulerHarness.stepLedger(runId, in: second.runtime.sqliteStore)
            #expect(ledger.steps == [0, 1, 2, 3, 4])
            #expect(ledger.stepEvents == 5)
        }
    }

    /// A run whose graph changed under it (the same id hashes otherwise after a restart) fails
    /// with the reason and a `run_failed` event, so its streams end and its webhook hears of it.
    @Test func aRunWhoseGraphChangedFailsWithItsTerminalEvent() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 150, steps: 4), nil)])
        let first = try await harness.scheduler(workers: 1)
        let task = SchedulerHarness.start(first)
        let runId = try await first.submit(RunRequest(graphId: "slow", params: [:])).run.runId
        _ = try await SchedulerHarness.waitFor(runId, in: first.runtime.sqliteStore) { $0.stepCount >= 1 }
        task.cancel()
        try await task.value

        var options = StargraphRuntime.Options()
        options.database = harness.databasePath
        let runtime = try await StargraphRuntime.open(options)
        var registry = GraphRegistry()
        try registry.register(.init(
            graph: try runtime.compiler.compile(text: SchedulerHarness.delayGraph(id: "slow", delayMs: 151, steps: 4), sourceName: "test.yaml"),
            origin: "file:test.yaml", maxConcurrency: nil))
        let second = RunScheduler(runtime: runtime.scheduling, graphs: registry, workers: 1, triggers: [], logger: Logger(label: "test"))
        let restarted = SchedulerHarness.start(second)
        defer { restarted.cancel() }
        let failed = try await SchedulerHarness.waitFor(runId, in: second.runtime.sqliteStore)
        #expect(failed.status == .failed && failed.errorClass == "SchedulerError")
        let last = try #require(try await second.runtime.sqliteStore.events(runId: runId).last)
        #expect(last.type == "run_failed")
        #expect(last.payload["reason"]?.stringValue == failed.errorCause)
    }

    /// Queue rows claimed by a process that was killed (its pid is gone) are taken over at start;
    /// a row whose run was never written is discarded with its idempotency key.
    @Test func claimsOfAKilledProcessAreTakenOver() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let accepting = try await harness.scheduler()
        var runIds: [String] = []
        for index in 0..<5 {
            runIds.append(try await accepting.submit(RunRequest(graphId: "quick", params: ["message": .string("\(index)")])).run.runId)
        }
        let store = accepting.runtime.sqliteStore
        try await killProcess(owning: runIds, in: store, orphan: "run-never-written")

        let survivor = try await harness.scheduler()
        let task = SchedulerHarness.start(survivor)
        defer { task.cancel() }
        for runId in runIds {
            #expect(try await SchedulerHarness.waitFor(runId, in: store).status == .done)
            #expect(try await SchedulerHarness.stepLedger(runId, in: store).steps == [0, 1, 2])
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await SchedulerHarness.queueRows(store) == 0)
        #expect(try store.idempotencyEntry(key: "orphan-key") == nil)
    }

    /// A run accepted straight into a worker has no queue row, only its claim in
    /// `runs.claimed_by`: when its process was killed mid-run, the next scheduler takes it over
    /// and finishes it from its last checkpoint. A `running` run of `stargraph run` (no claim) is
    /// left alone.
    @Test func runsClaimedByAKilledProcessAreTakenOver() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let (runtime, graphs) = try await harness.openRuntime()
        let graph = try #require(graphs.entry("quick")?.graph)
        let dead = try await registerKilledProcess(in: runtime.sqliteStore)
        let claimed = try await runtime.engine.createRun(
            graph, inputs: [:], runId: RunIdentifiers.newRunId(), admission: .started(idempotency: nil, claimedBy: dead.id))
        // As `stargraph run` leaves it: `running`, with no claim and no queue row.
        var unclaimedRun = claimed.run
        unclaimedRun.runId = RunIdentifiers.newRunId()
        try await runtime.sqliteStore.insertRun(unclaimedRun, events: [])
        #expect(try await SchedulerHarness.queueRows(runtime.sqliteStore) == 0)

        let survivor = try await harness.scheduler()
        let task = SchedulerHarness.start(survivor)
        defer { task.cancel() }
        let store = survivor.runtime.store
        #expect(try await SchedulerHarness.waitFor(claimed.run.runId, in: store).status == .done)
        #expect(try await SchedulerHarness.stepLedger(claimed.run.runId, in: store).steps == [0, 1, 2])
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await SchedulerHarness.queueRows(store) == 0)
        let untouched = try await #require(try store.run(unclaimedRun.runId))
        #expect(untouched.status == .running && untouched.stepCount == 0)
    }

    /// A graceful stop releases the claims of runs that started at once as queue rows, so the
    /// next start resumes them even though they never had a row.
    @Test func aGracefulStopReleasesClaimedRunsAsQueueRows() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 150, steps: 4), nil)])
        let first = try await harness.scheduler(workers: 2)
        let task = SchedulerHarness.start(first)
        // `isRunning` turns true before recovery ends; a run submitted then is queued with a row.
        while !first.dispatcher.isOpen { try await Task.sleep(for: .milliseconds(5)) }
        let runId = try await first.submit(RunRequest(graphId: "slow", params: [:])).run.runId
        #expect(try await SchedulerHarness.queueRows(first.runtime.sqliteStore) == 0, "it started at once, with a claim and no row")
        _ = try await SchedulerHarness.waitFor(runId, in: first.runtime.sqliteStore) { $0.stepCount >= 1 }
        task.cancel()
        try await task.value
        #expect(try await first.runtime.sqliteStore.run(runId)?.status == .running)
        #expect(try await SchedulerHarness.queueRows(first.runtime.sqliteStore) == 1)

        let second = try await harness.scheduler()
        let restarted = SchedulerHarness.start(second)
        defer { restarted.cancel() }
        #expect(try await SchedulerHarness.waitFor(runId, in: second.runtime.sqliteStore).status == .done)
        #expect(try await SchedulerHarness.stepLedger(runId, in: second.runtime.sqliteStore).steps == [0, 1, 2, 3])
    }

    /// A run waiting for input survives a restart and is answered afterwards.
    @Test func awaitingInputSurvivesARestart() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.hitlGraph, nil)])
        let first = try await harness.scheduler()
        let task = SchedulerHarness.start(first)
        let runId = try await first.submit(RunRequest(graphId: "test:hitl", params: ["message": "hi"])).run.runId
        let waiting = try await SchedulerHarness.waitFor(runId, in: first.runtime.sqliteStore) { $0.status == .awaitingInput }
        #expect(waiting.status == .awaitingInput)
        task.cancel()
        try await task.value

        let second = try await harness.scheduler()
        let restarted = SchedulerHarness.start(second)
        defer { restarted.cancel() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await second.runtime.sqliteStore.run(runId)?.status == .awaitingInput)
        _ = try await second.respond(runId, response: ["reply": "blue"])
        let done = try await SchedulerHarness.waitFor(runId, in: second.runtime.sqliteStore)
        #expect(done.status == .done)
        #expect(done.state["reply"] == "blue")
        #expect(try await SchedulerHarness.stepLedger(runId, in: second.runtime.sqliteStore).steps == [0, 1])
    }

    @Test func livenessOfClaimingProcesses() {
        let me = SchedulerProcess.current()
        func row(host: String, pid: Int32, ticks: String?, heartbeatAgo: TimeInterval) -> SchedulerProcessRow {
            SchedulerProcessRow(processId: "p", host: host, pid: pid, startTicks: ticks, heartbeatAt: Date().addingTimeInterval(-heartbeatAgo))
        }
        #expect(me.considersAlive(row(host: me.host, pid: me.pid, ticks: me.startTicks, heartbeatAgo: 3600)))
        #expect(!me.considersAlive(row(host: me.host, pid: 999_999_999, ticks: nil, heartbeatAgo: 0)))
        if me.startTicks != nil {
            #expect(!me.considersAlive(row(host: me.host, pid: me.pid, ticks: "1", heartbeatAgo: 0)), "a reused pid is another process")
        }
        #expect(me.considersAlive(row(host: "elsewhere", pid: 1, ticks: nil, heartbeatAgo: 2)))
        #expect(!me.considersAlive(row(host: "elsewhere", pid: 1, ticks: nil, heartbeatAgo: 60)))
    }

    /// Rewrites the claims on `runIds` to a registered process whose pid does not exist, and adds
    /// a queue row (with an idempotency key) whose run was never written.
    private func killProcess(owning runIds: [String], in store: SQLiteRunStore, orphan: String) async throws {
        let dead = try await registerKilledProcess(in: store)
        try await store.write("simulating a killed process") { db in
            for runId in runIds {
                try db.execute(sql: "UPDATE pending_runs SET claimed_by = ? WHERE run_id = ?", arguments: [dead.id, runId])
            }
        }
        // Earlier builds wrote the queue row and the run in two transactions, so a killed process
        // could leave a row without its run in databases they wrote.
        _ = try await store.write("simulating a run that was never written") { db in
            try SQLiteRunStore.admit(db, runId: orphan, graphId: "quick", .queued(
                params: [:], idempotency: .init(key: "orphan-key", requestHash: "sha256:x"), claimedBy: dead.id))
        }
    }

    /// A scheduler process registered in `store` whose pid does not exist, as a killed one leaves it.
    private func registerKilledProcess(in store: SQLiteRunStore) async throws -> SchedulerProcess {
        let host = SchedulerProcess.current().host
        let dead = SchedulerProcess(id: "\(host)/999999999/dead", host: host, pid: 999_999_999, startTicks: nil)
        try await store.recordSchedulerHeartbeat(dead)
        return dead
    }
}
