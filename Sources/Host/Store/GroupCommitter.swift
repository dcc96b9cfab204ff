import GRDB

/// The single writer of a ``RunStore``: commits queued writes in groups (DESIGN §7).
///
/// Callers ``submit(_:)`` a write and suspend. One drain loop takes everything queued, applies
/// each write in its own savepoint inside ONE immediate transaction, commits, and only then
/// resumes every waiter with its own result. A write that throws rolls back its savepoint only,
/// so it fails alone. If the transaction itself cannot commit, the writes of that group are
/// retried one transaction each, so one bad write never fails the others.
actor GroupCommitter {
    /// One queued write: applies itself inside the open transaction and returns how to report its
    /// success once that transaction has committed.
    private struct QueuedWrite: Sendable {
        let apply: @Sendable (Database) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// Thrown inside a group when SQLite has rolled the whole transaction back under us.
    private struct TransactionLost: Error {}

    private let pool: DatabasePool
    private let path: String
    private var queue: [QueuedWrite] = []
    private var isDraining = false
    private var isClosed = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// Transactions attempted so far (groups plus one-by-one retries); tests compare it to the
    /// number of writes to witness group commit.
    private(set) var transactionCount = 0
    /// Writes submitted so far.
    private(set) var writeCount = 0

    init(pool: DatabasePool, path: String) {
        self.pool = pool
        self.path = path
    }

    /// Queues `work` for the next group and returns its result once the group's transaction has
    /// committed. Throws the error `work` threw, or the commit error, or ``StoreError/closed(path:)``.
    func submit<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard !isClosed else { throw StoreError.closed(path: path) }
        writeCount += 1
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            queue.append(QueuedWrite(
                apply: { db in
                    let value = try work(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { error in continuation.resume(throwing: error) }))
            if !isDraining {
                isDraining = true
                Task { await self.drain() }
            }
        }
    }

    /// Refuses new writes and returns once every queued write has been committed or failed.
    func close() async {
        isClosed = true
        guard isDraining else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func drain() async {
        while !queue.isEmpty {
            let group = queue
            queue.removeAll(keepingCapacity: true)
            await commit(group)
        }
        isDraining = false
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }

    private func commit(_ group: [QueuedWrite]) async {
        transactionCount += 1
        do {
            let outcomes = try await pool.writeWithoutTransaction { db in
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
            for write in group {
                await commitAlone(write)
            }
        }
    }

    private func commitAlone(_ write: QueuedWrite) async {
        transactionCount += 1
        do {
            let resume = try await pool.writeWithoutTransaction { db in
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
