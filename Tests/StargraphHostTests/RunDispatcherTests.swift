import Foundation
import Synchronization
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphScheduler

@Suite("Run dispatcher: slots reserved for runs being accepted")
struct RunDispatcherTests {
    /// The runs a dispatcher's work was given, and whether each came with its accepted record.
    final class StartLog: Sendable {
        private let entries = Mutex<[(runId: String, withRecord: Bool)]>([])
        func append(_ run: QueuedRun) { entries.withLock { $0.append((run.runId, run.acceptedRunning != nil)) } }
        var runIds: [String] { entries.withLock { $0.map(\.runId) } }
        var firstWithRecord: Bool? { entries.withLock { $0.first?.withRecord } }
    }

    /// A dispatcher whose work logs the run it was given and returns at once.
    private static func dispatcher(workers: Int, limits: [String: Int] = [:]) -> (RunDispatcher, StartLog) {
        let started = StartLog()
        let dispatcher = RunDispatcher(
            workers: workers, limits: limits, work: { started.append($0) }, depthChanged: { _ in })
        return (dispatcher, started)
    }

    private static func queued(_ runId: String, graph: String = "g", order: Int64 = 1) -> QueuedRun {
        QueuedRun(order: order, runId: runId, graphId: graph, response: nil)
    }

    @Test func aReservedRunStartsWithItsRecord() async throws {
        let (dispatcher, started) = Self.dispatcher(workers: 1)
        dispatcher.open()
        #expect(dispatcher.reserve("g", runId: "r1"))
        #expect(!dispatcher.reserve("g", runId: "r2"), "the only slot is promised")
        var run = Self.queued("r1")
        run.acceptedRunning = RunRecord.fixture("r1")
        dispatcher.start(reserved: run)
        await dispatcher.waitUntilIdle("r1")
        #expect(started.runIds == ["r1"])
        #expect(started.firstWithRecord == true)
        #expect(dispatcher.reserve("g", runId: "r2"), "the slot is free again")
    }

    @Test func noReservationBeforeOpeningBeyondTheLimitOrAheadOfAQueuedRun() async throws {
        let (dispatcher, started) = Self.dispatcher(workers: 4, limits: ["g": 1])
        #expect(!dispatcher.reserve("g", runId: "early"), "not before open()")
        dispatcher.open()
        #expect(dispatcher.reserve("g", runId: "r1"))
        #expect(!dispatcher.reserve("g", runId: "r2"), "max_concurrency 1 is taken by the reservation")
        #expect(dispatcher.reserve("other", runId: "x"), "other graphs still reserve")
        dispatcher.add(Self.queued("q1"))
        #expect(dispatcher.queueDepth == 1, "q1 waits for the graph's one slot")
        dispatcher.cancelReservation("r1")
        dispatcher.cancelReservation("x")
        try await Task.sleep(for: .milliseconds(20))
        #expect(started.runIds == ["q1"], "the returned slot went to the queued run")
        #expect(dispatcher.queueDepth == 0)
    }

    @Test func aRunSettledBeforeItsSlotStartsIsNotStarted() async throws {
        let (dispatcher, started) = Self.dispatcher(workers: 2)
        dispatcher.open()
        #expect(dispatcher.reserve("g", runId: "r1"))
        // A cancel finds the run still being accepted: it counts as queued, settles it, drops it.
        #expect(dispatcher.hold("r1") == .queued)
        dispatcher.release("r1", drop: true)
        var run = Self.queued("r1")
        run.acceptedRunning = RunRecord.fixture("r1")
        dispatcher.start(reserved: run)
        try await Task.sleep(for: .milliseconds(20))
        #expect(started.runIds.isEmpty)
        #expect(dispatcher.queueDepth == 0)
        #expect(dispatcher.reserve("g", runId: "r2"))
        #expect(dispatcher.reserve("g", runId: "r3"), "both slots are free")
    }

    @Test func aRunHeldWhenItsSlotStartsWaitsInTheQueueAndIsReadBack() async throws {
        let (dispatcher, started) = Self.dispatcher(workers: 2)
        dispatcher.open()
        #expect(dispatcher.reserve("g", runId: "r1"))
        #expect(dispatcher.hold("r1") == .queued)
        var run = Self.queued("r1")
        run.acceptedRunning = RunRecord.fixture("r1")
        dispatcher.start(reserved: run)
        #expect(dispatcher.queueDepth == 1)
        #expect(started.runIds.isEmpty)
        dispatcher.release("r1", drop: false)
        await dispatcher.waitUntilIdle("r1")
        try await Task.sleep(for: .milliseconds(20))
        // Started like any queued run: without the accepted record, so its worker reads the store.
        #expect(started.runIds == ["r1"])
        #expect(started.firstWithRecord == false)
    }
}

extension RunRecord {
    /// A minimal running run for dispatcher tests (never stored).
    static func fixture(_ runId: String) -> RunRecord {
        let now = Date()
        return RunRecord(
            runId: runId, graphId: "g", graphHash: "sha256:0", graphSource: "", graphOrigin: "test", status: .running,
            inputs: .object([:]), state: .object([:]), maxSteps: 10, createdAt: now, startedAt: now, updatedAt: now)
    }
}
