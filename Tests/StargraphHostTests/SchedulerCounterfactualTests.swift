import Foundation
import GRDB
import Testing
@testable import StargraphCore
@testable import StargraphHost
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphScheduler

@Suite("Scheduler: counterfactual forks")
struct SchedulerCounterfactualTests {
    /// A fork and its queue row are one transaction: when the queue row cannot be written, no
    /// fork is stored either (a stored fork without a row would never run), and once the queue
    /// accepts rows again a fork is stored, queued and run to the end.
    @Test func aForkIsStoredOnlyWithItsQueueRow() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "quick", delayMs: 1), nil)])
        let scheduler = try await harness.scheduler()
        let task = SchedulerHarness.start(scheduler)
        defer { task.cancel() }
        // Queue rows are refused with an SQLite trigger, so this check runs on the SQLite store.
        let store = scheduler.runtime.sqliteStore
        let parent = try await scheduler.submit(RunRequest(graphId: "quick", params: [:])).run.runId
        #expect(try await SchedulerHarness.waitFor(parent, in: store).status == .done)

        try await store.write("refusing queue rows") { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_queue_rows BEFORE INSERT ON pending_runs
                BEGIN SELECT RAISE(ABORT, 'queue rows refused by the test'); END
                """)
        }
        await #expect(throws: (any Error).self) {
            _ = try await scheduler.submitCounterfactual(parentRunId: parent, fromStep: 1, mutation: nil)
        }
        #expect(try forks(of: parent, in: store) == 0)

        try await store.write("accepting queue rows again") { db in
            try db.execute(sql: "DROP TRIGGER refuse_queue_rows")
        }
        let fork = try await scheduler.submitCounterfactual(parentRunId: parent, fromStep: 1, mutation: nil)
        #expect(fork.status == .pending)
        #expect(try forks(of: parent, in: store) == 1)
        let finished = try await SchedulerHarness.waitFor(fork.runId, in: store)
        #expect(finished.status == .done)
        #expect(try await SchedulerHarness.stepLedger(fork.runId, in: store).steps == [1, 2])
    }

    private func forks(of parent: String, in store: SQLiteRunStore) throws -> Int {
        try store.read("counting forks") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE parent_run_id = ?", arguments: [parent]) ?? 0
        }
    }
}
