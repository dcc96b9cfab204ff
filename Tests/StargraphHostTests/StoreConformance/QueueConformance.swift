import Foundation
import Testing
@testable import StargraphCore
@testable import StargraphStore

/// What every backend's ``RunQueue`` must do: admission in the run's own transaction,
/// idempotency keys, claims that die with their process, executions held by one process.
extension StoreConformance {
    /// A queued run is stored with its row, a started one with its claim; a stopped run leaves
    /// the queue; a requeue applies only while the status is the one expected.
    static func admission(_ store: Store) async throws {
        let live = SchedulerProcess.current()
        try await store.recordSchedulerHeartbeat(live)
        let queued = try await store.insertRun(
            Self.run("run-q"), events: [], admission: .queued(params: ["topic": "x"], idempotency: nil, claimedBy: live.id))
        #expect(queued.runId == "run-q" && queued.order != QueuedRun.unqueued)
        #expect(try await store.isQueued(runId: "run-q"))

        var started = Self.run("run-s")
        started.status = .running
        let claimed = try await store.insertRun(started, events: [], admission: .started(idempotency: nil, claimedBy: live.id))
        #expect(claimed.order == QueuedRun.unqueued)
        #expect(try await !store.isQueued(runId: "run-s"))
        #expect(try await store.holdsClaims(live))
        #expect(try await store.queuedRunCount() == 1)

        var done = try #require(try await store.run("run-q"))
        try await Self.commit(store, &done, step: 0, status: .done)
        #expect(try await !store.isQueued(runId: "run-q"), "a run that stopped leaves the queue")
        #expect(try await store.requeue(runId: "run-q", whenStatus: .paused, response: nil, claimedBy: live.id)
            == .statusChanged(.done))

        var paused = Self.run("run-p")
        paused.status = .paused
        try await store.insertRun(paused, events: [])
        guard case .queued(let row) = try await store.requeue(
            runId: "run-p", whenStatus: .paused, response: ["answer": 1], claimedBy: live.id)
        else { Issue.record("a paused run is queued again"); return }
        #expect(row.response == ["answer": 1])
        #expect(try await store.requeue(runId: "run-p", whenStatus: .paused, response: nil, claimedBy: live.id) == .alreadyQueued)
        try await store.dequeue(runId: "run-p")
        #expect(try await !store.isQueued(runId: "run-p"))
    }

    /// A key is accepted once: a second run with it is refused and not stored.
    static func idempotencyKeys(_ store: Store) async throws {
        let live = SchedulerProcess.current()
        try await store.recordSchedulerHeartbeat(live)
        let key = IdempotencyEntry.Key(key: "key-1", requestHash: "sha256:request")
        _ = try await store.insertRun(
            Self.run("run-k1"), events: [], admission: .queued(params: [:], idempotency: key, claimedBy: live.id))
        await #expect(throws: StoreError.self) {
            _ = try await store.insertRun(
                Self.run("run-k2"), events: [], admission: .started(idempotency: key, claimedBy: live.id))
        }
        #expect(try await store.run("run-k2") == nil)
        #expect(try await store.idempotencyEntry(key: "key-1") == IdempotencyEntry(requestHash: "sha256:request", runId: "run-k1"))
        #expect(try await store.idempotencyEntry(key: "key-unknown") == nil)
        try await store.discardQueued(runId: "run-k1")
        #expect(try await store.idempotencyEntry(key: "key-1") == nil)
    }

    /// Claims of a process that is gone are taken over; a live process keeps its own; released
    /// claims are anybody's.
    static func claimsAndLeases(_ store: Store) async throws {
        let host = SchedulerProcess.current().host
        let dead = SchedulerProcess(id: "\(host)/999999999/dead", host: host, pid: 999_999_999, startTicks: nil)
        let live = SchedulerProcess.current()
        let survivor = SchedulerProcess.current()
        for process in [dead, live, survivor] { try await store.recordSchedulerHeartbeat(process) }
        for (runId, owner) in [("run-dead-1", dead), ("run-dead-2", dead), ("run-live", live)] {
            _ = try await store.insertRun(
                Self.run(runId), events: [], admission: .queued(params: [:], idempotency: nil, claimedBy: owner.id))
        }
        var orphan = Self.run("run-dead-running")
        orphan.status = .running
        _ = try await store.insertRun(orphan, events: [], admission: .started(idempotency: nil, claimedBy: dead.id))

        let taken = try await store.claimAbandonedRuns(for: survivor)
        #expect(Set(taken.map(\.runId)) == ["run-dead-1", "run-dead-2", "run-dead-running"])
        #expect(try await store.claimAbandonedRuns(for: survivor).isEmpty, "taken once")
        #expect(try await store.holdsClaims(survivor))

        try await store.releaseClaims(of: live.id)
        #expect(try await store.claimAbandonedRuns(for: survivor).map(\.runId) == ["run-live"])
    }

    /// A run taken over from a process that is gone gets the next lease epoch: the old owner,
    /// should it wake up, can write neither a step nor the run row, and the new owner can.
    static func fencing(_ store: Store) async throws {
        let host = SchedulerProcess.current().host
        let gone = SchedulerProcess(id: "\(host)/999999998/gone", host: host, pid: 999_999_998, startTicks: nil)
        let survivor = SchedulerProcess.current()
        for process in [gone, survivor] { try await store.recordSchedulerHeartbeat(process) }
        var zombie = Self.run("run-z")
        zombie.status = .running
        _ = try await store.insertRun(zombie, events: [], admission: .started(idempotency: nil, claimedBy: gone.id))
        try await Self.commit(store, &zombie, step: 0)

        #expect(try await store.claimAbandonedRuns(for: survivor).map(\.runId) == ["run-z"])
        var owner = try #require(try await store.run("run-z"))
        #expect(owner.leaseEpoch == zombie.leaseEpoch + 1)
        let events = try await store.events(runId: "run-z")
        await #expect(throws: StoreError.self) { try await Self.commit(store, &zombie, step: 1) }
        await #expect(throws: StoreError.self) { try await store.updateRun(zombie, events: [Self.event("run_paused")]) }
        #expect(try await store.checkpoints(runId: "run-z").map(\.step) == [0], "the old owner wrote no step")
        #expect(try await store.events(runId: "run-z") == events)
        #expect(try await store.run("run-z")?.status == .running)

        try await Self.commit(store, &owner, step: 1)
        #expect(try await store.checkpoints(runId: "run-z").map(\.step) == [0, 1])
        try await store.releaseClaims(of: survivor.id)
        let claim = try await store.claimExecution(runId: "run-z", by: survivor, command: "stargraph resume")
        #expect(try await store.run("run-z")?.leaseEpoch == owner.leaseEpoch + 1, "a claim outside a scheduler fences too")
        await claim.release()
    }

    /// One process at a time executes a run outside a scheduler; a released run is free again.
    static func executions(_ store: Store) async throws {
        try await store.insertRun(Self.run("run-x"), events: [])
        let first = SchedulerProcess.current()
        let second = SchedulerProcess.current()
        let claim = try await store.claimExecution(runId: "run-x", by: first, command: "stargraph resume")
        await #expect(throws: StoreError.self) {
            _ = try await store.claimExecution(runId: "run-x", by: second, command: "stargraph resume")
        }
        await claim.release()
        let again = try await store.claimExecution(runId: "run-x", by: second, command: "stargraph resume")
        await again.release()
    }

    /// Cron fires are recorded once per time; runs waiting for input show their next action.
    static func triggersAndInterrupts(_ store: Store) async throws {
        let fire = Date(timeIntervalSince1970: 1_800_000_060)
        #expect(try await store.lastTriggerFire("nightly") == nil)
        try await store.recordTriggerFire("nightly", fireTime: fire, runId: "run-t1")
        try await store.recordTriggerFire("nightly", fireTime: fire, runId: "run-t2")
        try await store.recordTriggerFire("nightly", fireTime: fire.addingTimeInterval(-60), runId: "run-t0")
        #expect(try await store.lastTriggerFire("nightly") == fire)

        var waiting = Self.run("run-w")
        waiting.status = .awaitingInput
        waiting.nextAction = ["kind": "interrupt", "deadline": "2027-01-01T00:00:00.000Z"]
        try await store.insertRun(waiting, events: [])
        let actions = try await store.nextActions(of: .awaitingInput)
        #expect(actions.map(\.runId) == ["run-w"] && actions.first?.nextAction == waiting.nextAction)
    }
}
