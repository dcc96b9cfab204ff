import Foundation
import Testing
@testable import StargraphCore
@testable import StargraphStore

/// What every backend's ``WebhookOutbox`` must do: deliveries owed in the event's own
/// transaction, leases that keep two deliverers off one delivery, attempts recorded in order.
extension StoreConformance {
    /// A run stored with a webhook owes one delivery per event of a subscribed type, whichever
    /// write appends the event; a run without one owes nothing.
    static func webhookDeliveriesFollowEvents(_ store: Store) async throws {
        let live = SchedulerProcess.current()
        try await store.recordSchedulerHeartbeat(live)
        let hook = WebhookSubscription(url: "http://127.0.0.1:9/hook", events: ["run_done", "run_created", "step_completed"])
        #expect(hook.events == ["run_created", "run_done", "step_completed"])
        var run = Self.run("run-w")
        _ = try await store.insertRun(
            run, events: [Self.event("run_created"), Self.event("run_started")],
            admission: .queued(params: [:], idempotency: nil, claimedBy: live.id), webhook: hook, anchor: nil)
        try await Self.commit(store, &run, step: 0)
        try await Self.commit(store, &run, step: 1)
        run.status = .done
        try await store.updateRun(run, events: [Self.event("run_done")])
        _ = try await store.insertRun(
            Self.run("run-plain"), events: [Self.event("run_created")],
            admission: .queued(params: [:], idempotency: nil, claimedBy: live.id), webhook: nil, anchor: nil)

        let deliveries = try await store.webhookDeliveries(runId: "run-w")
        #expect(deliveries.map(\.seq) == [1, 3, 4, 5])
        #expect(deliveries.map(\.eventType) == ["run_created", "step_completed", "step_completed", "run_done"])
        #expect(deliveries.allSatisfy { $0.status == .pending && $0.attempts.isEmpty && $0.url == hook.url && $0.nextAttemptAt != nil })
        #expect(try await store.webhookDeliveries(runId: "run-plain").isEmpty)
        #expect(try await store.webhookDeliveries(runId: "run-missing").isEmpty)
    }

    /// A lease hands each due delivery to one deliverer until the lease ends; an attempt leaves
    /// it delivered, failed or due again at its retry time.
    static func webhookLeasesAndAttempts(_ store: Store) async throws {
        let live = SchedulerProcess.current()
        try await store.recordSchedulerHeartbeat(live)
        let hook = WebhookSubscription(url: "http://127.0.0.1:9/hook", events: ["run_created", "run_started", "run_paused"])
        _ = try await store.insertRun(
            Self.run("run-l"), events: [Self.event("run_created"), Self.event("run_started"), Self.event("run_paused")],
            admission: .queued(params: [:], idempotency: nil, claimedBy: live.id), webhook: hook, anchor: nil)
        let now = Date().addingTimeInterval(1)
        let lease = now.addingTimeInterval(60)

        let first = try await store.leaseDueWebhookDeliveries(now: now, leaseUntil: lease, limit: 2)
        #expect(first.map(\.event.seq) == [1, 2])
        #expect(first.allSatisfy { $0.attemptNumber == 1 && $0.url == hook.url && $0.run.runId == "run-l" })
        #expect(first.first?.event.type == "run_created")
        let second = try await store.leaseDueWebhookDeliveries(now: now, leaseUntil: lease, limit: 10)
        #expect(second.map(\.event.seq) == [3], "leased deliveries are not handed out again")
        #expect(try await store.leaseDueWebhookDeliveries(now: now, leaseUntil: lease, limit: 10).isEmpty)
        let afterLease = try await store.leaseDueWebhookDeliveries(now: lease, leaseUntil: lease.addingTimeInterval(60), limit: 10)
        #expect(afterLease.map(\.event.seq) == [1, 2, 3], "a lease whose deliverer died ends")

        let retryAt = lease.addingTimeInterval(5)
        try await store.recordWebhookAttempt(
            runId: "run-l", seq: 1, WebhookAttempt(number: 1, at: now, statusCode: 503, error: "HTTP 503", durationMilliseconds: 7),
            outcome: .retry(at: retryAt))
        try await store.recordWebhookAttempt(
            runId: "run-l", seq: 2, WebhookAttempt(number: 1, at: now, statusCode: 204, error: nil, durationMilliseconds: 3),
            outcome: .delivered)
        try await store.recordWebhookAttempt(
            runId: "run-l", seq: 3, WebhookAttempt(number: 1, at: now, statusCode: nil, error: "refused", durationMilliseconds: 1),
            outcome: .failed)
        let recorded = try await store.webhookDeliveries(runId: "run-l")
        #expect(recorded.map(\.status) == [.pending, .delivered, .failed])
        #expect(recorded.map { $0.attempts.map(\.statusCode) } == [[503], [204], [nil]])
        #expect(recorded[0].nextAttemptAt.map { abs($0.timeIntervalSince(retryAt)) < 0.002 } == true)
        #expect(recorded[1].nextAttemptAt == nil && recorded[2].nextAttemptAt == nil)
        #expect(recorded[2].attempts.first?.error == "refused")

        #expect(try await store.leaseDueWebhookDeliveries(now: retryAt.addingTimeInterval(-1), leaseUntil: retryAt, limit: 10).isEmpty)
        let retried = try await store.leaseDueWebhookDeliveries(now: retryAt, leaseUntil: retryAt.addingTimeInterval(60), limit: 10)
        #expect(retried.map(\.event.seq) == [1])
        #expect(retried.first?.attemptNumber == 2, "the next attempt is numbered after the recorded one")
    }
}
