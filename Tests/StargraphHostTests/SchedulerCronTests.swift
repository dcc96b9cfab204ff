import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphStore
@testable import StargraphScheduler

@Suite("Scheduler: cron triggers")
struct SchedulerCronTests {
    private func date(_ text: String) throws -> Date { try #require(Timestamps.parse(text)) }

    private func next(_ cron: String, _ zone: String = "UTC", after text: String) throws -> String? {
        let trigger = CronTrigger(id: "t", cron: cron, timezone: zone, graphId: "g")
        return try trigger.nextFire(after: try date(text)).map(Timestamps.format)
    }

    @Test func nextFireOfCommonExpressions() throws {
        #expect(try next("*/15 * * * *", after: "2025-06-10T10:07:30.000Z") == "2025-06-10T10:15:00.000Z")
        #expect(try next("0 * * * *", after: "2025-06-10T10:00:00.000Z") == "2025-06-10T11:00:00.000Z")
        #expect(try next("@daily", after: "2025-12-31T23:59:00.000Z") == "2026-01-01T00:00:00.000Z")
        #expect(try next("0 0 1 1 *", after: "2025-03-01T00:00:00.000Z") == "2026-01-01T00:00:00.000Z")
        #expect(try next("30 8 * * MON-FRI", after: "2025-06-13T09:00:00.000Z") == "2025-06-16T08:30:00.000Z")
        #expect(try next("0 12 29 2 *", after: "2025-01-01T00:00:00.000Z") == "2028-02-29T12:00:00.000Z")
        #expect(try next("5,10-12/2 3 * JAN,jun *", after: "2025-06-10T03:06:00.000Z") == "2025-06-10T03:10:00.000Z")
        // Both day fields restricted: either matches (Friday the 13th or any 13th or any Friday).
        #expect(try next("0 0 13 * FRI", after: "2025-06-01T00:00:00.000Z") == "2025-06-06T00:00:00.000Z")
        #expect(try next("0 0 * * 7", after: "2025-06-10T00:00:00.000Z") == "2025-06-15T00:00:00.000Z")
    }

    @Test func nextFireInTimeZones() throws {
        // 09:00 in New York is 13:00Z in summer (EDT) and 14:00Z in winter (EST).
        #expect(try next("0 9 * * *", "America/New_York", after: "2025-07-01T12:00:00.000Z") == "2025-07-01T13:00:00.000Z")
        #expect(try next("0 9 * * *", "America/New_York", after: "2025-01-15T15:00:00.000Z") == "2025-01-16T14:00:00.000Z")
        #expect(try next("0 0 * * *", "Asia/Tokyo", after: "2025-06-10T16:00:00.000Z") == "2025-06-11T15:00:00.000Z")
    }

    @Test func daylightSavingTransitions() throws {
        // Paris springs forward on 2025-03-30 at 02:00 → 03:00: 02:30 does not exist that day.
        #expect(try next("30 2 * * *", "Europe/Paris", after: "2025-03-29T23:00:00.000Z") == "2025-03-31T00:30:00.000Z")
        // 03:30 that day is 01:30Z (CEST, +2).
        #expect(try next("30 3 * * *", "Europe/Paris", after: "2025-03-29T23:00:00.000Z") == "2025-03-30T01:30:00.000Z")
        // New York falls back on 2025-11-02 at 02:00 → 01:00: 01:30 happens twice, fires once (EDT).
        let first = try next("30 1 * * *", "America/New_York", after: "2025-11-02T04:00:00.000Z")
        #expect(first == "2025-11-02T05:30:00.000Z")
        #expect(try next("30 1 * * *", "America/New_York", after: "2025-11-02T05:30:00.000Z") == "2025-11-03T06:30:00.000Z")
        // Every 30 minutes through the repeated hour: 01:00, 01:30 (EDT), then 02:00 EST.
        #expect(try next("*/30 * * * *", "America/New_York", after: "2025-11-02T05:30:00.000Z") == "2025-11-02T07:00:00.000Z")
    }

    @Test func parseErrorsNameTheTrigger() {
        let cases: [(String, String, String)] = [
            ("61 * * * *", "UTC", "minute"), ("* * * *", "UTC", "5"), ("0 0 30 2 *", "UTC", "never fires"),
            ("0 0 * * *", "Mars/Olympus", "time zone"), ("*/0 * * * *", "UTC", "minute"), ("0 0 * FOO *", "UTC", "month"),
        ]
        for (cron, zone, fragment) in cases {
            do {
                try CronTrigger(id: "nightly-report", cron: cron, timezone: zone, graphId: "g").validate()
                Issue.record("'\(cron)' should not parse")
            } catch {
                #expect(error.description.contains("trigger 'nightly-report'"))
                #expect(error.description.contains(fragment), "\(error.description)")
            }
        }
    }

    @Test func runRefusesATriggerOfAnUnknownGraph() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler(triggers: [CronTrigger(id: "hourly", cron: "@hourly", graphId: "missing")])
        await #expect(throws: CronTriggerError.self) { try await scheduler.run() }
        #expect(!scheduler.isRunning)
    }

    /// A trigger that last fired 10 minutes ago while every-minute fires were missed fires once at
    /// startup; a second restart fires nothing more; the same fire submitted twice is one run.
    @Test func missedFiresCatchUpOnceAndNeverTwice() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let trigger = CronTrigger(id: "every-minute", cron: "* * * * *", graphId: "quick", params: ["message": "tick"])
        let (runtime, _) = try await harness.openRuntime()
        let lastFire = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 600)
        try await runtime.sqliteStore.recordTriggerFire(trigger.id, fireTime: lastFire, runId: "run-before")

        for _ in 0..<2 {
            let scheduler = try await harness.scheduler(triggers: [trigger])
            let task = SchedulerHarness.start(scheduler)
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            try await task.value
        }
        let runs = try runtime.sqliteStore.listRuns(RunQuery(graphId: "quick")).runs
        let fires = try runtime.sqliteStore.lastTriggerFire(trigger.id)
        // One catch-up run, unless a minute boundary passed during the test (then one more fire).
        #expect((1...2).contains(runs.count), "got \(runs.count) runs")
        #expect(try #require(fires) > lastFire)

        let scheduler = try await harness.scheduler(triggers: [trigger])
        let fireTime = lastFire.addingTimeInterval(-60)
        await scheduler.fire(trigger, at: fireTime)
        await scheduler.fire(trigger, at: fireTime)
        #expect(try runtime.sqliteStore.listRuns(RunQuery(graphId: "quick")).runs.count == runs.count + 1)
    }
}
