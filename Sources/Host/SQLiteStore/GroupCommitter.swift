import GRDB
import Metrics
import Synchronization
import StargraphCore
import StargraphStore

/// The single writer of a ``RunStore``: commits queued writes in groups.
///
/// Writes queue, and GRDB's writer thread drains the queue: it takes every queued write, applies
/// them all inside ONE immediate transaction, commits, resumes each caller with its own result,
/// and repeats at once with whatever queued meanwhile, until the queue is empty. No task hop sits
/// between two commits, so the writer never idles while writes wait, and a group is simply what
/// arrived during the previous commit.
///
/// Groups are optimistic: writes share the transaction without savepoints (a savepoint per write
/// cost about a tenth of the server's CPU, copying every page it touched). If any write throws,
/// or the transaction cannot commit, the whole group is rolled back and its writes are retried
/// one transaction each, so a bad write fails alone and never takes the others with it. A write
/// may therefore run twice; writes only touch the database, and report nothing until their
/// transaction commits.
///
/// A caller with no other writer in flight commits on its own thread without suspending (a WAL
/// commit with `synchronous=NORMAL` takes tens of microseconds), so an uncontended step costs one
/// SQLite commit and no thread hops.
package final class GroupCommitter: Sendable {
    /// One queued write: applies itself inside the open transaction and returns how to report its
    /// success once that transaction has committed.
    private struct QueuedWrite: Sendable {
        let apply: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// Thrown when a lone write was neither committed nor failed (never expected).
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
    /// The writer connection's prepared statements: use them only inside submitted writes.
    package let statements = WriterStatements()
    private let state = Mutex(State())
    /// `stargraph_store_commits_total` and `stargraph_store_writes_total`: their ratio is the
    /// mean group size, i.e. how well concurrent writes share a commit.
    private let commitCounter = Counter(label: "stargraph_store_commits_total")
    private let writeCounter = Counter(label: "stargraph_store_writes_total")

    /// Transactions attempted so far (groups plus one-by-one retries); tests compare it to the
    /// number of writes to witness group commit.
    package var transactionCount: Int { state.withLock { $0.transactions } }
    /// Writes submitted so far.
    package var writeCount: Int { state.withLock { $0.writes } }
    /// Writes submitted and not yet finished (tests wait for writes to meet).
    package var inFlightCount: Int { state.withLock { $0.inFlight } }

    /// Whether the last transaction committed, for `/health`.
    package let health = WriteHealth()

    package init(pool: DatabasePool, path: String) {
        self.pool = pool
        self.path = path
    }

    /// Commits `work` (in a group with whatever else is queued) and returns its result once the
    /// group's transaction has committed. Throws the error `work` threw, or the commit error, or
    /// ``StoreError/closed(path:)``.
    package func submit<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let alone = try state.withLock { state throws(StoreError) -> Bool in
            guard !state.isClosed else { throw .closed(path: path) }
            state.writes += 1
            writeCounter.increment()
            state.inFlight += 1
            guard !state.isDraining, state.inFlight == 1 else { return false }
            state.isDraining = true
            return true
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if alone {
            // No other writer about: commit at once on this thread (no suspension, no hop).
            let outcome = Mutex<Result<T, any Error>?>(nil)
            let write = QueuedWrite(
                apply: { db in
                    let value = try work(db)
                    return { outcome.withLock { $0 = .success(value) } }
                },
                fail: { error in outcome.withLock { $0 = .failure(error) } })
            commitNow(write)
            finishOrContinueDraining()
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
            let starts = state.withLock { state -> Bool in
                state.queue.append(write)
                guard !state.isDraining else { return false }
                state.isDraining = true
                return true
            }
            if starts { drainOnWriter() }
        }
    }

    /// Refuses new writes and returns once every queued write has been committed or failed.
    package func close() async {
        let draining = state.withLock { state -> Bool in
            state.isClosed = true
            return state.isDraining
        }
        if draining {
            await withCheckedContinuation { continuation in
                let stillDraining = state.withLock { state -> Bool in
                    if state.isDraining { state.idleWaiters.append(continuation) }
                    return state.isDraining
                }
                if !stillDraining { continuation.resume() }
            }
        }
        // The connection cannot close while prepared statements are alive.
        try? await pool.writeWithoutTransaction { _ in self.statements.finalizeAll() }
    }

    /// Commits the queue on GRDB's writer queue, group after group, until it is empty: each group
    /// is everything queued when the previous commit ended. Callers are resumed from the writer
    /// thread; no task hop sits between two commits.
    private func drainOnWriter() {
        pool.asyncWriteWithoutTransaction { db in
            while let group = self.nextGroup() { self.commit(group, db) }
        }
    }

    /// Commits `write` on this thread (GRDB's synchronous writer).
    private func commitNow(_ write: QueuedWrite) {
        pool.writeWithoutTransaction { db in commit([write], db) }
    }

    /// After a lone commit: hands writes queued meanwhile to the writer queue, or ends draining.
    private func finishOrContinueDraining() {
        let more = state.withLock { state -> Bool in
            guard state.queue.isEmpty else { return true }
            endDraining(&state)
            return false
        }
        if more { drainOnWriter() }
    }

    /// Takes every queued write; `nil` (and draining ends) when there is none.
    private func nextGroup() -> [QueuedWrite]? {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                endDraining(&state)
                return nil
            }
            defer { state.queue.removeAll(keepingCapacity: true) }
            return state.queue
        }
    }

    private func endDraining(_ state: inout State) {
        state.isDraining = false
        state.idleWaiters.forEach { $0.resume() }
        state.idleWaiters.removeAll()
    }

    /// Applies `group` inside one immediate transaction and reports each write's result once it
    /// committed. When a write throws, or the transaction cannot commit, the group is rolled back
    /// and its writes are retried one transaction each, so one bad write never fails the others.
    private func commit(_ group: [QueuedWrite], _ db: Database) {
        state.withLock { $0.transactions += 1 }
        commitCounter.increment()
        do {
            try inImmediateTransaction(db) { db in try group.map { try $0.apply(db) } }.forEach { $0() }
            health.succeeded()
        } catch {
            guard group.count > 1 else {
                if Self.isStorageFailure(error) { health.failed(error) }
                return group[0].fail(error)
            }
            for write in group { commit([write], db) }
        }
    }

    /// Whether `error` says the database cannot be written at all (full disk, I/O error, read-only
    /// or locked file), as opposed to one write's own refusal (a constraint, a missing run).
    private static func isStorageFailure(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_CORRUPT, .SQLITE_NOTADB,
                .SQLITE_BUSY, .SQLITE_PERM].contains(error.resultCode)
    }

    /// Runs `body` in `BEGIN IMMEDIATE … COMMIT`: the write lock is taken up front, so the busy
    /// timeout applies instead of a `SQLITE_BUSY` when another process wrote since our last read.
    /// Both statements are prepared once per connection (GRDB's `inTransaction` compiles them again
    /// for every transaction); when `body` or the commit throws, the transaction is rolled back.
    private func inImmediateTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try statements.with(.beginImmediate, in: db) { try $0.execute() }
        do {
            let result = try body(db)
            try statements.with(.commit, in: db) { try $0.execute() }
            return result
        } catch {
            try? db.rollback()
            throw error
        }
    }
}
