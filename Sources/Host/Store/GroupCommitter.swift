import GRDB
import Metrics
import Synchronization

/// The single writer of a ``RunStore``: commits queued writes in groups (DESIGN §7).
///
/// The first caller that finds no commit under way becomes the *leader*: it takes every queued
/// write (its own first), applies them all inside ONE immediate transaction, commits, resumes
/// every follower with its own result, and repeats while writes queued up meanwhile. Callers
/// that arrive during a commit are *followers*: they queue and suspend until a leader has
/// committed their write.
///
/// Groups are optimistic: writes share the transaction without savepoints (a savepoint per write
/// cost about a tenth of the server's CPU, copying every page it touched). If any write throws,
/// or the transaction cannot commit, the whole group is rolled back and its writes are retried
/// one transaction each, so a bad write fails alone and never takes the others with it. A write
/// may therefore run twice; writes only touch the database, and report nothing until their
/// transaction commits.
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
                let reports: [@Sendable () -> Void]
                if suspending {
                    reports = try await pool.writeWithoutTransaction { db in try Self.transact(writes, db) }
                } else {
                    reports = try commitNow(writes)
                }
                reports.forEach { $0() }
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

    /// Applies a group inside one immediate transaction; the first write that throws rolls it
    /// all back (the caller then retries the writes one by one).
    private static func transact(_ group: [QueuedWrite], _ db: Database) throws -> [@Sendable () -> Void] {
        try inImmediateTransaction(db) { db in try group.map { try $0.apply(db) } }
    }

    /// Commits `group` on this thread (GRDB's synchronous writer).
    private func commitNow(_ group: [QueuedWrite]) throws -> [@Sendable () -> Void] {
        try pool.writeWithoutTransaction { db in try Self.transact(group, db) }
    }

    /// A write of the group threw, or its transaction could not commit: retry its writes one
    /// transaction each, so one bad write never fails the others.
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
