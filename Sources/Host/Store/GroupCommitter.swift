import GRDB
import Metrics
import Synchronization

/// The single writer of a ``RunStore``: commits queued writes in groups (DESIGN §7).
///
/// The first caller that finds no commit under way becomes the *leader*: it takes every queued
/// write (its own first), applies each in its own savepoint inside ONE immediate transaction,
/// commits, resumes every follower with its own result, and repeats while writes queued up
/// meanwhile. Callers that arrive during a commit are
/// *followers*: they queue and suspend until a leader has committed their write. A write that
/// throws rolls back its savepoint only, so it fails alone. If the transaction itself cannot
/// commit, that group's writes are retried one transaction each.
///
/// A leader with no other writer in flight commits on its own thread without suspending (a WAL
/// commit with `synchronous=NORMAL` takes tens of microseconds), so an uncontended step costs
/// one SQLite commit and no thread hops. With other writers in flight it awaits GRDB's
/// asynchronous writer instead, freeing its thread while the others queue behind the commit.
final class GroupCommitter: Sendable {
    /// One queued write: applies itself inside the open transaction and returns how to report its
    /// success once that transaction has committed.
    private struct QueuedWrite: Sendable {
        let apply: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// Thrown inside a group when SQLite has rolled the whole transaction back under us.
    private struct TransactionLost: Error {}

    private struct State {
        var queue: [QueuedWrite] = []
        var isDraining = false
        var isClosed = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var transactions = 0
        var writes = 0
        /// Callers inside ``submit(_:)`` right now.
        var inFlight = 0
    }

    private let pool: DatabasePool
    private let path: String
    private let state = Mutex(State())
    /// `stargraph_store_commits_total` and `stargraph_store_writes_total`: their ratio is the
    /// mean group size, i.e. how well concurrent writes share a commit.
    private let commitCounter = Counter(label: "stargraph_store_commits_total")
    private let writeCounter = Counter(label: "stargraph_store_writes_total")

    /// Transactions attempted so far (groups plus one-by-one retries); tests compare it to the
    /// number of writes to witness group commit.
    var transactionCount: Int { state.withLock { $0.transactions } }
    /// Writes submitted so far.
    var writeCount: Int { state.withLock { $0.writes } }

    init(pool: DatabasePool, path: String) {
        self.pool = pool
        self.path = path
    }

    /// Commits `work` (in a group with whatever else is queued) and returns its result once the
    /// group's transaction has committed. Throws the error `work` threw, or the commit error, or
    /// ``StoreError/closed(path:)``.
    func submit<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let (leads, othersInFlight) = try state.withLock { state throws(StoreError) -> (Bool, Bool) in
            guard !state.isClosed else { throw .closed(path: path) }
            state.writes += 1
            writeCounter.increment()
            state.inFlight += 1
            guard !state.isDraining else { return (false, true) }
            state.isDraining = true
            return (true, state.inFlight > 1)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if leads {
            let outcome = Mutex<Result<T, any Error>?>(nil)
            // Alone, commit at once on this thread. With other writers about, wait for the
            // commit instead, so they queue behind it and share the next one.
            await drain(
                first: QueuedWrite(
                    apply: { db in
                        let value = try work(db)
                        return { outcome.withLock { $0 = .success(value) } }
                    },
                    fail: { error in outcome.withLock { $0 = .failure(error) } }),
                suspending: othersInFlight)
            guard let result = outcome.withLock({ $0 }) else { throw TransactionLost() }
            return try result.get()
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let write = QueuedWrite(
                apply: { db in
                    let value = try work(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { error in continuation.resume(throwing: error) })
            // The leader may have finished since: then this caller leads instead.
            let leadsNow = state.withLock { state -> Bool in
                guard state.isDraining else {
                    state.isDraining = true
                    return true
                }
                state.queue.append(write)
                return false
            }
            if leadsNow { Task { await self.drain(first: write, suspending: true) } }
        }
    }

    /// Refuses new writes and returns once every queued write has been committed or failed.
    func close() async {
        let draining = state.withLock { state -> Bool in
            state.isClosed = true
            return state.isDraining
        }
        guard draining else { return }
        await withCheckedContinuation { continuation in
            let stillDraining = state.withLock { state -> Bool in
                if state.isDraining { state.idleWaiters.append(continuation) }
                return state.isDraining
            }
            if !stillDraining { continuation.resume() }
        }
    }

    /// Commits `first` and everything queued, group after group, until the queue is empty:
    /// `suspending`, through GRDB's asynchronous writer (callers queue meanwhile), otherwise
    /// blocking this thread for the commit (no suspension, no thread hop).
    private func drain(first: QueuedWrite, suspending: Bool) async {
        var group = [first] + state.withLock { state in
            defer { state.queue.removeAll(keepingCapacity: true) }
            return state.queue
        }
        while !group.isEmpty {
            state.withLock { $0.transactions += 1 }
            commitCounter.increment()
            let writes = group
            do {
                let outcomes: [Result<@Sendable () -> Void, any Error>]
                if suspending {
                    outcomes = try await pool.writeWithoutTransaction { db in try Self.transact(writes, db) }
                } else {
                    outcomes = try commitNow(writes)
                }
                deliver(outcomes, to: group)
            } catch {
                retryAlone(group, after: error)
            }
            group = state.withLock { state in
                let next = state.queue
                state.queue.removeAll(keepingCapacity: true)
                if next.isEmpty {
                    state.isDraining = false
                    state.idleWaiters.forEach { $0.resume() }
                    state.idleWaiters.removeAll()
                }
                return next
            }
        }
    }

    /// Applies a group inside one immediate transaction: each write in its own savepoint, or
    /// directly when it is alone (if it throws, the whole transaction is its own).
    private static func transact(_ group: [QueuedWrite], _ db: Database) throws -> [Result<@Sendable () -> Void, any Error>] {
        try inImmediateTransaction(db) { db -> [Result<@Sendable () -> Void, any Error>] in
            if group.count == 1 { return [.success(try group[0].apply(db))] }
            return group.map { applyInSavepoint($0, db) }
        }
    }

    /// Commits `group` on this thread (GRDB's synchronous writer).
    private func commitNow(_ group: [QueuedWrite]) throws -> [Result<@Sendable () -> Void, any Error>] {
        try pool.writeWithoutTransaction { db in try Self.transact(group, db) }
    }

    /// Reports each write's outcome once its transaction has committed.
    private func deliver(_ outcomes: [Result<@Sendable () -> Void, any Error>], to group: [QueuedWrite]) {
        for (write, outcome) in zip(group, outcomes) {
            switch outcome {
            case .success(let resume): resume()
            case .failure(let error): write.fail(error)
            }
        }
    }

    /// The group's transaction could not commit: retry its writes one transaction each, so one
    /// bad write never fails the others.
    private func retryAlone(_ group: [QueuedWrite], after error: any Error) {
        guard group.count > 1 else {
            group[0].fail(error)
            return
        }
        group.forEach(commitAlone)
    }

    private func commitAlone(_ write: QueuedWrite) {
        state.withLock { $0.transactions += 1 }
        commitCounter.increment()
        do {
            let resume = try pool.writeWithoutTransaction { db in
                try Self.inImmediateTransaction(db, write.apply)
            }
            resume()
        } catch {
            write.fail(error)
        }
    }

    /// Applies `write` in its own savepoint, so a write that throws is undone alone. The savepoint
    /// statements are prepared once per connection (GRDB's `inSavepoint` prepares them per call).
    private static func applyInSavepoint(
        _ write: QueuedWrite, _ db: Database
    ) -> Result<@Sendable () -> Void, any Error> {
        do {
            // Without a transaction, the savepoint would auto-commit this write on its own.
            guard db.isInsideTransaction else { throw TransactionLost() }
            try db.cachedStatement(sql: "SAVEPOINT group_write").execute()
            let resume: @Sendable () -> Void
            do {
                resume = try write.apply(db)
            } catch {
                try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT group_write").execute()
                try db.cachedStatement(sql: "RELEASE SAVEPOINT group_write").execute()
                throw error
            }
            try db.cachedStatement(sql: "RELEASE SAVEPOINT group_write").execute()
            return .success(resume)
        } catch {
            return .failure(error)
        }
    }

    /// Runs `body` in `BEGIN IMMEDIATE … COMMIT`: the write lock is taken up front, so the busy
    /// timeout applies instead of a `SQLITE_BUSY` when another process wrote since our last read.
    static func inImmediateTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.immediate) {
            result = try body(db)
            return .commit
        }
        guard let result else { throw TransactionLost() }
        return result
    }
}
