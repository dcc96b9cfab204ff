import Foundation
import Logging
import Testing
@testable import StargraphCore
@testable import StargraphEngine
@testable import StargraphHost
@testable import StargraphPostgres
@testable import StargraphScheduler
@testable import StargraphStore

/// Schedulers that share one PostgreSQL database, each with its own runtime and connections, as
/// replicas have them.
@Suite("Scheduler on PostgreSQL", .serialized)
struct PostgresSchedulerTests {
    /// A scheduler of the `quick` graph on a new runtime over `configuration`'s database.
    private func scheduler(on configuration: PostgresStoreConfiguration) async throws -> RunScheduler {
        var options = StargraphRuntime.Options()
        options.database = "postgresql://\(configuration.username):\(configuration.password ?? "")@\(configuration.host):\(configuration.port)/\(configuration.database)?sslmode=disable"
        let runtime = try await StargraphRuntime.open(options)
        var registry = GraphRegistry()
        try registry.register(.init(
            graph: try runtime.compiler.compile(text: SchedulerHarness.delayGraph(id: "quick", delayMs: 1), sourceName: "quick.yaml"),
            origin: "file:quick.yaml", maxConcurrency: nil))
        return RunScheduler(runtime: runtime.scheduling, graphs: registry, workers: 2, triggers: [], logger: Logger(label: "test"))
    }

    @Test("a cron tick fired by two schedulers on one database starts one run")
    func cronFiresOncePerTick() async throws {
        try await PostgresTestDatabase.withDatabase { configuration in
            let first = try await scheduler(on: configuration)
            let second = try await scheduler(on: configuration)
            let trigger = CronTrigger(id: "minutely", cron: "* * * * *", graphId: "quick", params: ["message": "tick"])
            let tick = Date(timeIntervalSince1970: 1_800_000_060)
            async let one: Void = first.fire(trigger, at: tick)
            async let other: Void = second.fire(trigger, at: tick)
            _ = await (one, other)
            let runs = try await first.runtime.store.listRuns(RunQuery(graphId: "quick"))
            #expect(runs.total == 1)
            #expect(try await second.runtime.store.lastTriggerFire(trigger.id) == tick)
            await first.fire(trigger, at: tick.addingTimeInterval(60))
            #expect(try await second.runtime.store.listRuns(RunQuery(graphId: "quick")).total == 2)
            try await first.runtime.store.close()
            try await second.runtime.store.close()
        }
    }
}
