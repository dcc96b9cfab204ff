import GRDB
import Synchronization

/// The single writer of a ``RunStore``: commits queued writes in groups (DESIGN §7).
///
/// The first caller that finds no commit under way becomes the *leader*: when other writers
/// are in flight it yields once (so tasks ready to run can queue behind it), then on its own
/// thread takes every queued write
/// (its own first), applies each in its own
/// savepoint inside ONE immediate transaction, commits, resumes every follower with its own
/// result, and repeats while writes queued up meanwhile. Callers that arrive during a commit are
/// *followers*: they queue and suspend until a leader has committed their write. A write that
/// throws rolls back its savepoint only, so it fails alone. If the transaction itself cannot
/// commit, that group's writes are retried one transaction each.
///
/// The leader blocks its thread for the commit (a WAL commit with `synchronous=NORMAL` takes
/// tens of microseconds; under another process's write lock, up to the busy timeout). That is
/// the price of an uncontended step costing one SQLite commit and no thread hops.
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
            state.inFlight += 1
            guard !state.isDraining else { return (false, true) }
            state.isDraining = true
            return (true, state.inFlight > 1)
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if leads {
            // With other writers about, let the tasks that are ready to run queue their writes
            // behind this one first, so concurrent steps share the commit. Alone, commit at once.
            if othersInFlight { await Task.yield() }
            let outcome = Mutex<Result<T, any Error>?>(nil)
            drain(first: QueuedWrite(
                apply: { db in
                    let value = try work(db)
                    return { outcome.withLock { $0 = .success(value) } }
                },
                fail: { error in outcome.withLock { $0 = .failure(error) } }))
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
            if leadsNow { drain(first: write) }
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

    /// Commits `first` and everything queued, group after group, until the queue is empty.
    private func drain(first: QueuedWrite) {
        var group = [first] + state.withLock { state in
            defer { state.queue.removeAll(keepingCapacity: true) }
            return state.queue
        }
        while !group.isEmpty {
            commit(group)
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

    private func commit(_ group: [QueuedWrite]) {
        state.withLock { $0.transactions += 1 }
        do {
            let outcomes = try pool.writeWithoutTransaction { db in
                try Self.inImmediateTransaction(db) { db -> [Result<@Sendable () -> Void, any Error>] in
                    // A lone write needs no savepoint: if it throws, the whole transaction is its own.
                    if group.count == 1 { return [.success(try group[0].apply(db))] }
                    return group.map { Self.applyInSavepoint($0, db) }
                }
            }
            for (write, outcome) in zip(group, outcomes) {
                switch outcome {
                case .success(let resume): resume()
                case .failure(let error): write.fail(error)
                }
            }
        } catch {
            guard group.count > 1 else {
                group[0].fail(error)
                return
            }
            group.forEach(commitAlone)
        }
    }

    private func commitAlone(_ write: QueuedWrite) {
        state.withLock { $0.transactions += 1 }
        do {
            let resume = try pool.writeWithoutTransaction { db in
                try Self.inImmediateTransaction(db, write.apply)
            }
            resume()
        } catch {
            write.fail(error)
        }
    }

    private static func applyInSavepoint(
        _ write: QueuedWrite, _ db: Database
    ) -> Result<@Sendable () -> Void, any Error> {
        do {
            // Without a transaction, the savepoint would auto-commit this write on its own.
            guard db.isInsideTransaction else { throw TransactionLost() }
            var resume: (@Sendable () -> Void)?
            try db.inSavepoint {
                resume = try write.apply(db)
                return .commit
            }
            guard let resume else { throw TransactionLost() }
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
