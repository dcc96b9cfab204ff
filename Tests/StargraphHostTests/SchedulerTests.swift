import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphScheduler

@Suite("Scheduler: accepting and executing runs")
struct SchedulerTests {
    @Test func submittedRunExecutesToDone() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let submission = try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": "hi"]))
        #expect(submission.created)
        // `pending` while the scheduler is still recovering, else `running` (a worker was free).
        #expect([.pending, .running].contains(submission.run.status))
        let store = scheduler.runtime.store
        let done = try await SchedulerHarness.waitFor(submission.run.runId, in: store)
        #expect(done.status == .done)
        #expect(done.state["phase"] == "finished")
        #expect(done.state["message"] == "hi")
        #expect(try await SchedulerHarness.stepLedger(done.runId, in: store).steps == [0, 1, 2])
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await SchedulerHarness.queueRows(store) == 0)
        #expect(scheduler.isRunning)
    }

    @Test func aRunWaitsPendingWhileEveryWorkerIsBusy() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "slow", delayMs: 150), nil)])
        let scheduler = try await harness.scheduler(workers: 1)
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        // Once the scheduler executes runs, a run accepted with the worker free starts at once:
        // it is stored running, in the commit that accepted it.
        let warmUp = try await scheduler.submit(RunRequest(graphId: "slow", params: ["message": "w"]))
        #expect(try await SchedulerHarness.waitFor(warmUp.run.runId, in: store).status == .done)
        let first = try await scheduler.submit(RunRequest(graphId: "slow", params: ["message": "a"]))
        #expect(first.run.status == .running)
        let second = try await scheduler.submit(RunRequest(graphId: "slow", params: ["message": "b"]))
        #expect(second.run.status == .pending)
        for submission in [first, second] {
            #expect(try await SchedulerHarness.waitFor(submission.run.runId, in: store).status == .done)
        }
        #expect(try await store.history(runId: second.run.runId).map(\.status) == [.pending, .running, .done])
        #expect(try await store.history(runId: first.run.runId).map(\.status) == [.running, .done])
    }

    @Test func refusesUnknownGraphsAndBadParams() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let unknown = await schedulerError { try await scheduler.submit(RunRequest(graphId: "nope", params: [:])) }
        guard case .unknownGraph("nope") = unknown else { Issue.record("got \(String(describing: unknown))"); return }
        let badField = await schedulerError { try await scheduler.submit(RunRequest(graphId: "quick", params: ["colour": "red"])) }
        guard case .invalidParams(let why) = badField else { Issue.record("got \(String(describing: badField))"); return }
        #expect(why.contains("colour"))
        let badType = await schedulerError { try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": 3])) }
        guard case .invalidParams = badType else { Issue.record("got \(String(describing: badType))"); return }
        #expect(try await SchedulerHarness.queueRows(scheduler.runtime.sqliteStore) == 0)
    }

    @Test func idempotencyKeyReturnsTheSameRunOrConflicts() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let first = try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": "a"], idempotencyKey: "k1"))
        let again = try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": "a"], idempotencyKey: "k1"))
        #expect(first.created)
        #expect(!again.created)
        #expect(again.run.runId == first.run.runId)
        let conflict = await schedulerError {
            try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": "b"], idempotencyKey: "k1"))
        }
        guard case .idempotencyConflict(key: "k1", runId: first.run.runId) = conflict else {
            Issue.record("got \(String(describing: conflict))")
            return
        }
        // The key outlives the run: after it finished, the same request still returns it.
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        _ = try await SchedulerHarness.waitFor(first.run.runId, in: scheduler.runtime.sqliteStore)
        let afterDone = try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": "a"], idempotencyKey: "k1"))
        #expect(afterDone.run.runId == first.run.runId)
        #expect(afterDone.run.status == .done)
    }

    @Test func concurrentRequestsWithOneKeyCreateOneRun() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let submissions = try await withThrowingTaskGroup(of: Submission.self) { group in
            for _ in 0..<20 {
                group.addTask { try await scheduler.submit(RunRequest(graphId: "quick", params: ["message": "x"], idempotencyKey: "same")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(submissions.count { $0.created } == 1)
        #expect(Set(submissions.map(\.run.runId)).count == 1)
        #expect(try await scheduler.runtime.sqliteStore.listRuns(RunQuery()).runs.count == 1)
    }

    @Test func maxConcurrencyOneNeverOverlapsWhileOtherGraphsRunInParallel() async throws {
        let harness = try SchedulerHarness(graphs: [
            (SchedulerHarness.delayGraph(id: "serial", delayMs: 15), 1),
            (SchedulerHarness.delayGraph(id: "free", delayMs: 150), nil),
        ])
        let scheduler = try await harness.scheduler(workers: 8)
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        let serial = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<50 {
                group.addTask { try await scheduler.submit(RunRequest(graphId: "serial", params: ["message": .string("\(index)")])).run.runId }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var free: [String] = []
        for _ in 0..<4 { free.append(try await scheduler.submit(RunRequest(graphId: "free", params: [:])).run.runId) }
        for runId in serial + free { #expect(try await SchedulerHarness.waitFor(runId, in: store).status == .done) }

        var serialSpans: [Span] = []
        for runId in serial { serialSpans.append(try await span(of: runId, in: store)) }
        serialSpans.sort { $0.start < $1.start }
        for (earlier, later) in zip(serialSpans, serialSpans.dropFirst()) {
            #expect(later.start >= earlier.end, "two runs of a max_concurrency 1 graph overlapped")
        }
        var freeSpans: [Span] = []
        for runId in free { freeSpans.append(try await span(of: runId, in: store)) }
        let overlapping = freeSpans.filter { candidate in freeSpans.contains { $0 != candidate && $0.start < candidate.end && candidate.start < $0.end } }
        #expect(overlapping.count >= 2, "runs of a graph without a limit should run in parallel")
    }

    @Test func runsOfOneGraphStartInSubmissionOrder() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "serial", delayMs: 5), 1)])
        let scheduler = try await harness.scheduler(workers: 4)
        var submitted: [String] = []
        for index in 0..<12 {
            submitted.append(try await scheduler.submit(RunRequest(graphId: "serial", params: ["message": .string("\(index)")])).run.runId)
        }
        #expect(scheduler.queueDepth() == 12)
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        let store = scheduler.runtime.store
        for runId in submitted { _ = try await SchedulerHarness.waitFor(runId, in: store) }
        var started: [Date] = []
        for runId in submitted { started.append(try #require(try await store.run(runId)?.startedAt)) }
        #expect(started == started.sorted())
        #expect(scheduler.queueDepth() == 0)
    }

    private struct Span: Equatable { var start: Date; var end: Date }

    private func span(of runId: String, in store: any RunStore & RunQueue) async throws -> Span {
        let run = try await #require(try store.run(runId))
        return Span(start: try #require(run.startedAt), end: try #require(run.finishedAt))
    }
}
