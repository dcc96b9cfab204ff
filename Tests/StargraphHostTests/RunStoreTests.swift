import Foundation
import GRDB
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore

@Suite("RunStore")
struct RunStoreTests {
    /// A fresh folder under the temporary directory; each test removes its own.
    private static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("runstore-tests-\(UUID().uuidString)")
    }

    private static func databasePath(in folder: URL) -> String {
        folder.appendingPathComponent("nested/stargraph.sqlite").path
    }

    /// A SQLite database at ``databasePath(in:)`` opened without the store (no migrations), for
    /// tests that prepare what the store then finds.
    private static func plainDatabase(in folder: URL) throws -> (path: String, queue: DatabaseQueue) {
        let path = databasePath(in: folder)
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        return (path, try DatabaseQueue(path: path))
    }

    /// A date with whole milliseconds, as the store keeps them.
    private static func date(_ seconds: Double) -> Date {
        Date(timeIntervalSince1970: (seconds * 1000).rounded() / 1000)
    }

    private static func makeRun(
        _ runId: String, graphId: String = "hello", status: RunStatus = .running, createdAt: Double = 1_790_000_000.123,
        parentRunId: String? = nil
    ) -> RunRecord {
        RunRecord(
            runId: runId, graphId: graphId, graphHash: "sha256:abc", graphSource: "id: \(graphId)\n",
            graphOrigin: "graphs/\(graphId).yaml", status: status, inputs: ["name": "Ada"],
            state: ["count": 0, "tags": ["a", "b"]], maxSteps: 100, parentRunId: parentRunId,
            fromStep: parentRunId == nil ? nil : 2, mutation: parentRunId == nil ? nil : ["state_overrides": ["x": 1]],
            createdAt: date(createdAt), startedAt: date(createdAt + 0.5), updatedAt: date(createdAt + 0.5))
    }

    private static func makeCheckpoint(_ runId: String, step: Int, node: String = "greet") -> CheckpointRecord {
        CheckpointRecord(
            runId: runId, step: step, node: node, state: ["count": .number(Double(step + 1))],
            facts: [["type": "seen", "step": .number(Double(step))]], nextAction: ["goto": "next"],
            output: ["count": .number(Double(step + 1))], inputHash: "sha256:in\(step)", outputHash: "sha256:out\(step)",
            graphHash: "sha256:abc", rulesFired: ["r1", "r2"], effects: [["now": "2026-11-26T14:23:34.123Z"]],
            ts: date(1_790_000_001.001 + Double(step)))
    }

    private static func event(_ runId: String, step: Int?, type: String) -> EventRecord {
        EventRecord(runId: runId, seq: 0, step: step, type: type, ts: date(1_790_000_002.5), payload: ["type": .string(type)])
    }

    /// Applies step `step` of `run` the way the engine does and commits it.
    private static func commit(_ store: SQLiteRunStore, _ run: inout RunRecord, step: Int, status: RunStatus? = nil) async throws {
        let checkpoint = makeCheckpoint(run.runId, step: step)
        run.state = checkpoint.state
        run.facts = checkpoint.facts
        run.nextAction = checkpoint.nextAction
        run.stepCount = step + 1
        if let status { run.status = status }
        run.updatedAt = checkpoint.ts
        try await store.commitStep(checkpoint, run: run, events: [event(run.runId, step: step, type: "step_completed")])
    }

    @Test("migrations create every table and record themselves")
    func migrationsCreateTables() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        let (tables, migrations, journalMode) = try await store.pool.read { db in
            (try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"),
             try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(tables.isSuperset(of: ["runs", "checkpoints", "events", "runs_history", "pending_runs"]))
        #expect(migrations.prefix(2) == ["001_runs_checkpoints", "002_runs_history_pending_runs"])
        #expect(migrations == StoreMigrations.identifiers)
        #expect(journalMode == "wal")
        let indexes = try await store.pool.read { db in
            try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
        }
        #expect(indexes.isSuperset(of: ["runs_on_status", "runs_on_graph_id", "runs_on_parent_run_id", "runs_on_created_at"]))
        // The queue is indexed by run id only (its UNIQUE constraint); 005 dropped the rest.
        #expect(!indexes.contains { $0.hasPrefix("pending_runs_") })
        let triggers = try await store.pool.read { db in
            try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        #expect(triggers == [
            "runs_history_on_insert", "runs_history_on_status_change", "pending_runs_on_run_stop", "webhook_deliveries_on_event",
            "run_control_requests_on_run_stop",
        ])
        try await store.close()
    }

    @Test("a database another program wrote is named as such, with its tables, and left untouched")
    func foreignDatabaseIsRefused() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, other) = try Self.plainDatabase(in: folder)
        try await other.write { db in
            try db.execute(sql: "CREATE TABLE runs (id TEXT PRIMARY KEY, thread_id TEXT, payload BLOB)")
            try db.execute(sql: "CREATE TABLE checkpoints (thread_id TEXT, checkpoint BLOB)")
        }
        try other.close()
        #expect {
            try SQLiteRunStore(path: path)
        } throws: { error in
            guard case StoreError.foreignDatabase(path, let tables) = error else { return false }
            return tables == ["table checkpoints has columns thread_id, checkpoint", "table runs has columns id, thread_id, payload"]
                && "\(error)".contains("written by another program") && !"\(error)".contains("lock")
        }
        let untouched = try DatabaseQueue(path: path)
        #expect(try await untouched.read { db in try db.tableExists("grdb_migrations") } == false)
        try untouched.close()
    }

    @Test("migration 005 keeps the queue rows of a database written before it")
    func migrationKeepsQueueRows() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (path, old) = try Self.plainDatabase(in: folder)
        try StoreMigrations.migrator.migrate(old, upTo: "004_scheduler")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO pending_runs (run_id, graph_id, params, idempotency_key, request_hash, enqueued_at,
                    available_at, claimed_by, claimed_at, attempts, response)
                VALUES ('run-old', 'g', '{}', 'key-1', 'sha256:x', 't0', 't0', 'host/1/a', 't1', 2, '{"ok":true}')
                """)
        }
        try old.close()
        let store = try SQLiteRunStore(path: path)
        let row = try store.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM pending_runs") }
        #expect(row?["run_id"] == "run-old")
        #expect(row?["idempotency_key"] == "key-1")
        #expect(row?["attempts"] == 2)
        #expect(row?["response"] == #"{"ok":true}"#)
        #expect(try store.queuedRunCount() == 1)
        try await store.close()
    }

    @Test("durability sets PRAGMA synchronous on the writer", arguments: [(Durability.normal, 1), (.full, 2)])
    func durabilityPragma(durability: Durability, expected: Int) async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder), durability: durability)
        let synchronous = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == expected)
        try await store.close()
    }

    @Test("a full run round-trips: run, checkpoints, events with seq 1…n, history")
    func fullRunRoundTrips() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        var run = Self.makeRun("run-1", status: .pending)
        try await store.insertRun(run, events: [Self.event("run-1", step: nil, type: "run_created")])
        #expect(try await store.transitionStatus(runId: "run-1", from: [.pending], to: .running))
        run.status = .running
        for step in 0..<3 {
            try await Self.commit(store, &run, step: step, status: step == 2 ? .done : nil)
        }
        run.finishedAt = Self.date(1_790_000_010.999)
        try await store.updateRun(run, events: [Self.event("run-1", step: nil, type: "run_finished")])

        #expect(try store.run("run-1") == run)
        let checkpoints = try store.checkpoints(runId: "run-1")
        #expect(checkpoints == (0..<3).map { Self.makeCheckpoint("run-1", step: $0) })
        #expect(try store.checkpoint(runId: "run-1", step: 1) == Self.makeCheckpoint("run-1", step: 1))
        #expect(try store.checkpoint(runId: "run-1", step: 7) == nil)

        let events = try await store.events(runId: "run-1")
        #expect(events.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(events.map(\.type) == ["run_created", "step_completed", "step_completed", "step_completed", "run_finished"])
        #expect(events.allSatisfy { $0.runId == "run-1" })
        #expect(events[1].step == 0 && events[0].step == nil)
        #expect(events[1].payload == ["type": "step_completed"])
        #expect(try store.events(runId: "run-1", afterSeq: 2, limit: 2).map(\.seq) == [3, 4])

        // insert (pending) → transition (running) → step 2 (done); updateRun keeps done: no new row.
        let history = try store.history(runId: "run-1")
        #expect(history.map(\.status) == [.pending, .running, .done])
        #expect(history[2].ts == Self.date(1_790_000_003.001))
        try await store.close()
    }

    @Test("dates are stored as ISO-8601 UTC text with milliseconds and read back exactly")
    func datesAreIsoMilliseconds() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        let createdAt = Date(timeIntervalSince1970: 1_795_702_414.123)  // 2026-11-26T14:13:34.123Z
        var run = Self.makeRun("run-date")
        run.createdAt = createdAt
        run.startedAt = Date(timeIntervalSince1970: -86_400.5)  // before 1970
        try await store.insertRun(run, events: [])
        let stored = try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT created_at, started_at FROM runs WHERE run_id = 'run-date'")
        }
        #expect(stored?["created_at"] as String? == "2026-11-26T14:13:34.123Z")
        #expect(stored?["started_at"] as String? == "1969-12-30T23:59:59.500Z")
        let readBack = try #require(try store.run("run-date"))
        #expect(abs(readBack.createdAt.timeIntervalSince(createdAt)) < 0.000_5)
        #expect(ColumnCoding.timestamp(readBack.createdAt) == "2026-11-26T14:13:34.123Z")
        #expect(readBack.startedAt == Date(timeIntervalSince1970: -86_400.5))
        try await store.close()
    }

    @Test("a duplicate step is refused and the first checkpoint and run row stay unchanged")
    func duplicateStepIsRefused() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        var run = Self.makeRun("run-dup")
        try await store.insertRun(run, events: [])
        try await Self.commit(store, &run, step: 0)
        let committedRun = run

        var duplicate = Self.makeCheckpoint("run-dup", step: 0, node: "other")
        duplicate.state = ["count": 99]
        var changedRun = run
        changedRun.state = ["count": 99]
        changedRun.status = .failed
        await #expect {
            try await store.commitStep(duplicate, run: changedRun, events: [Self.event("run-dup", step: 0, type: "dup")])
        } throws: { error in
            guard case StoreError.stepAlreadyCommitted(runId: "run-dup", step: 0) = error else { return false }
            return true
        }
        #expect(try store.checkpoints(runId: "run-dup") == [Self.makeCheckpoint("run-dup", step: 0)])
        #expect(try store.run("run-dup") == committedRun)
        #expect(try await store.events(runId: "run-dup").map(\.type) == ["step_completed"])
        #expect(try store.history(runId: "run-dup").map(\.status) == [.running])
        try await store.close()
    }

    @Test("writes to unknown runs, reused run ids and repeated steps fail with their own errors")
    func missingAndDuplicateRuns() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        let run = Self.makeRun("run-x")
        await #expect(throws: StoreError.self) { try await store.updateRun(run, events: []) }
        try await store.insertRun(run, events: [])
        await #expect {
            try await store.insertRun(run, events: [])
        } throws: { error in
            guard case StoreError.runAlreadyExists("run-x") = error else { return false }
            return true
        }
        var stepped = run
        try await Self.commit(store, &stepped, step: 0)
        var again = run
        await #expect {
            try await Self.commit(store, &again, step: 0)
        } throws: { error in
            guard case StoreError.stepAlreadyCommitted(runId: "run-x", step: 0) = error else { return false }
            return true
        }
        await #expect {
            _ = try await store.transitionStatus(runId: "nope", from: [.running], to: .done)
        } throws: { error in
            guard case StoreError.runNotFound("nope") = error else { return false }
            return true
        }
        #expect(try store.run("nope") == nil)
        try await store.close()
    }

    @Test("200 concurrent steps from 20 runs all land in fewer transactions than commits")
    func groupCommitBatchesConcurrentSteps() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        let runIds = (0..<20).map { "run-\($0)" }
        for runId in runIds { try await store.insertRun(Self.makeRun(runId), events: []) }
        let transactionsBefore = store.committer.transactionCount
        let writesBefore = store.committer.writeCount

        // The runs' first steps queue behind the blocked leader and share its next transaction,
        // however the test's tasks are scheduled: the lock is held until all 20 are in flight.
        let committer = store.committer
        try Self.holdWriteLock(path: Self.databasePath(in: folder), seconds: 30) { committer.inFlightCount >= 20 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for runId in runIds {
                group.addTask {
                    var run = Self.makeRun(runId)
                    for step in 0..<10 { try await Self.commit(store, &run, step: step) }
                }
            }
            try await group.waitForAll()
        }
        let transactions = store.committer.transactionCount - transactionsBefore
        let writes = store.committer.writeCount - writesBefore
        #expect(writes == 200)
        #expect(transactions < writes, "group commit used \(transactions) transactions for \(writes) commits")
        for runId in runIds {
            #expect(try store.checkpoints(runId: runId).map(\.step) == Array(0..<10))
            #expect(try await store.events(runId: runId).map(\.seq) == Array(1...10))
            #expect(try store.run(runId)?.stepCount == 10)
        }
        try await store.close()
    }

    /// Holds the write lock of the database at `path` from another connection (as another process
    /// would), on a thread of its own, for `seconds` or until `releaseWhen` holds (checked every
    /// millisecond), so writes submitted meanwhile queue up and share a transaction.
    private static func holdWriteLock(
        path: String, seconds: Double, releaseWhen: @escaping @Sendable () -> Bool = { false }
    ) throws {
        let holder = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0)
        // A thread of its own: a sleeping job on Dispatch's global queue would take one of the
        // threads Swift's tasks run on (two on a 2-core machine), starving the writers under test.
        Thread {
            try? holder.inTransaction(.immediate) { _ in
                locked.signal()
                let deadline = Date().addingTimeInterval(seconds)
                while Date() < deadline, !releaseWhen() { Thread.sleep(forTimeInterval: 0.001) }
                return .commit
            }
        }.start()
        locked.wait()
    }

    @Test("one failing write in a group does not fail the others")
    func failingWriteFailsAlone() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        var first = Self.makeRun("run-a")
        try await store.insertRun(first, events: [])
        try await Self.commit(store, &first, step: 0)
        let committedFirst = first
        // The writes below queue up and meet in one group, which the duplicate step then fails:
        // the group is retried one write per transaction.
        try Self.holdWriteLock(path: Self.databasePath(in: folder), seconds: 0.5)
        let transactionsBefore = store.committer.transactionCount

        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask {
                    if index == 5 {  // duplicate step 0 of run-a
                        var again = committedFirst
                        do { try await Self.commit(store, &again, step: 0) } catch { return false }
                        return true
                    }
                    var run = Self.makeRun("run-b\(index)")
                    try await store.insertRun(run, events: [])
                    try await Self.commit(store, &run, step: 0)
                    return true
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { !$0 }.count == 1)
        #expect(try store.listRuns(RunQuery()).total == 10)
        for index in 0..<10 where index != 5 {
            #expect(try store.checkpoints(runId: "run-b\(index)").map(\.step) == [0])
        }
        #expect(try store.checkpoints(runId: "run-a").count == 1)
        #expect(store.committer.transactionCount - transactionsBefore > 1, "the failed group was retried write by write")
        try await store.close()
    }

    @Test("two RunStore instances on one file write concurrently")
    func twoInstancesShareOneFile() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Self.databasePath(in: folder)
        async let openFirst = SQLiteRunStore(path: path)
        async let openSecond = SQLiteRunStore(path: path, durability: .full)
        let stores = try await [openFirst, openSecond]

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                for runIndex in 0..<5 {
                    group.addTask {
                        var run = Self.makeRun("run-\(index)-\(runIndex)")
                        try await store.insertRun(run, events: [])
                        for step in 0..<8 { try await Self.commit(store, &run, step: step) }
                    }
                }
            }
            try await group.waitForAll()
        }
        for store in stores {
            #expect(try store.listRuns(RunQuery(limit: 100)).total == 10)
            #expect(try store.checkpoints(runId: "run-1-4").count == 8)
            #expect(try store.checkpoints(runId: "run-0-0").count == 8)
        }
        for store in stores { try await store.close() }
    }

    @Test("several stores opening one fresh file at once all migrate it")
    func concurrentOpenOfFreshFile() async throws {
        for _ in 0..<5 {
            let folder = Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = Self.databasePath(in: folder)
            let stores = try await withThrowingTaskGroup(of: SQLiteRunStore.self) { group in
                for _ in 0..<4 { group.addTask { try SQLiteRunStore(path: path) } }
                return try await group.reduce(into: [SQLiteRunStore]()) { $0.append($1) }
            }
            for (index, store) in stores.enumerated() {
                try await store.insertRun(Self.makeRun("run-\(index)"), events: [])
            }
            #expect(try stores[0].listRuns(RunQuery()).total == 4)
            let migrations = try await stores[0].pool.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(migrations.count == StoreMigrations.identifiers.count)
            for store in stores { try await store.close() }
        }
    }

    @Test("transitionStatus is a compare-and-set on status")
    func transitionStatusCompareAndSet() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        var pending = Self.makeRun("run-cas", status: .pending)
        pending.startedAt = nil
        try await store.insertRun(pending, events: [])

        #expect(try await store.transitionStatus(runId: "run-cas", from: [.running], to: .paused) == false)
        #expect(try store.run("run-cas")?.status == .pending)

        // Ten racers, one winner.
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask { try await store.transitionStatus(runId: "run-cas", from: [.pending], to: .running) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        let running = try #require(try store.run("run-cas"))
        #expect(running.status == .running && running.startedAt != nil && running.finishedAt == nil)

        let failed = try await store.transitionStatus(
            runId: "run-cas", from: [.running, .paused], to: .failed, errorClass: "NodeError", errorCause: "boom")
        #expect(failed)
        let final = try #require(try store.run("run-cas"))
        #expect(final.status == .failed && final.errorClass == "NodeError" && final.errorCause == "boom")
        #expect(final.finishedAt != nil && final.startedAt == running.startedAt)
        #expect(try store.history(runId: "run-cas").map(\.status) == [.pending, .running, .failed])
        try await store.close()
    }

    @Test("createIfMissing: false on a missing path throws and creates nothing")
    func missingDatabaseIsNotCreated() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Self.databasePath(in: folder)
        #expect {
            _ = try SQLiteRunStore(path: path, createIfMissing: false)
        } throws: { error in
            guard case StoreError.databaseNotFound(path) = error else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("listRuns filters, pages and counts, newest first")
    func listRunsFiltersAndPages() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        for index in 0..<6 {
            let run = Self.makeRun(
                "run-\(index)", graphId: index.isMultiple(of: 2) ? "even" : "odd",
                status: index < 4 ? .done : .running, createdAt: 1_790_000_000 + Double(index))
            try await store.insertRun(run, events: [])
        }
        try await store.insertRun(
            Self.makeRun("cf-1", createdAt: 1_790_000_100, parentRunId: "run-0"), events: [])

        let all = try store.listRuns(RunQuery())
        #expect(all.total == 7)
        #expect(all.runs.map(\.runId) == ["cf-1", "run-5", "run-4", "run-3", "run-2", "run-1", "run-0"])
        let page = try store.listRuns(RunQuery(limit: 2, offset: 2))
        #expect(page.total == 7 && page.runs.map(\.runId) == ["run-4", "run-3"])
        let doneEven = try store.listRuns(RunQuery(status: .done, graphId: "even"))
        #expect(doneEven.total == 2 && doneEven.runs.map(\.runId) == ["run-2", "run-0"])
        let forks = try store.listRuns(RunQuery(parentRunId: "run-0"))
        #expect(forks.total == 1 && forks.runs.first == Self.makeRun("cf-1", createdAt: 1_790_000_100, parentRunId: "run-0"))
        #expect(try store.listRuns(RunQuery(status: .paused)).total == 0)
        try await store.close()
    }

    @Test("data survives close and reopen; writes after close are refused")
    func reopenKeepsData() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Self.databasePath(in: folder)
        var run = Self.makeRun("run-keep")
        do {
            let store = try SQLiteRunStore(path: path)
            try await store.insertRun(run, events: [Self.event("run-keep", step: nil, type: "run_created")])
            try await Self.commit(store, &run, step: 0)
            try await store.close()
            await #expect(throws: StoreError.self) { try await store.updateRun(run, events: []) }
        }
        let reopened = try SQLiteRunStore(path: path, createIfMissing: false)
        #expect(try reopened.run("run-keep") == run)
        #expect(try reopened.checkpoints(runId: "run-keep").count == 1)
        #expect(try await reopened.events(runId: "run-keep").map(\.seq) == [1, 2])
        try await Self.commit(reopened, &run, step: 1)
        #expect(try await reopened.events(runId: "run-keep").map(\.seq) == [1, 2, 3])
        try await reopened.close()
    }

    @Test("a corrupt JSON column is reported with its run and column")
    func corruptColumnIsReported() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: Self.databasePath(in: folder))
        try await store.insertRun(Self.makeRun("run-bad"), events: [])
        try await store.pool.write { db in try db.execute(sql: "UPDATE runs SET state = '{oops' WHERE run_id = 'run-bad'") }
        #expect {
            _ = try store.run("run-bad")
        } throws: { error in
            guard case StoreError.corruptColumn(runId: "run-bad", column: "runs.state", detail: _) = error else { return false }
            return true
        }
        try await store.close()
    }
}
