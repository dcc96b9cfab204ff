
/// An error from a ``RunStore`` or ``RunQueue``. Every message names what went wrong and, where the store knows,
/// what to change; the CLI and the HTTP API add their own hints (a flag, a route).
public enum StoreError: Error, CustomStringConvertible {
    /// The database file does not exist and the caller asked not to create it.
    case databaseNotFound(String)
    /// The database could not be opened or its folder could not be created.
    case cannotOpen(path: String, detail: String)
    /// Applying the schema migrations failed.
    case migrationFailed(path: String, detail: String)
    /// The file is a database another program wrote: it has tables (each given with its
    /// columns) but no stargraph schema history.
    case foreignDatabase(path: String, tables: [String])
    /// The database was migrated by a newer stargraph that added migrations this build does not know.
    case schemaTooNew(path: String, unknownMigrations: [String])
    /// A checkpoint for this (run, step, branch) is already committed; steps are write-once.
    case stepAlreadyCommitted(runId: String, step: Int)
    /// No run with this id exists in the database.
    case runNotFound(String)
    /// `insertRun` was called with a run id that is already stored.
    case runAlreadyExists(String)
    /// A `commitStep` checkpoint belongs to another run than the run row it is committed with.
    case mismatchedRunIds(checkpointRunId: String, runId: String)
    /// A new run's idempotency key is already held by an earlier (or concurrent) request.
    case idempotencyKeyTaken(key: String)
    /// A stored column could not be decoded (bad JSON, bad date, unknown status).
    case corruptColumn(runId: String, column: String, detail: String)
    /// The store was closed with ``RunStore/close()``; no more writes are accepted.
    case closed(path: String)
    /// Another live process executes this run now (``RunStore/claimExecution(runId:by:command:)``).
    case runExecutingElsewhere(runId: String, holder: RunExecutionHolder)
    /// The run was taken over by another scheduler since this process read it (its lease epoch
    /// moved past `epoch`); nothing was written, and this process must give the run up.
    case leaseLost(runId: String, epoch: Int)
    /// The database reported an error while doing `operation`.
    case database(operation: String, detail: String)

    public var description: String {
        switch self {
        case .databaseNotFound(let path):
            return "no stargraph database at \(path)"
        case .cannotOpen(let path, let detail):
            return "cannot open the stargraph database at \(path): \(detail); "
                + (path.hasPrefix("postgresql:")
                    ? "check the URL's host, port, user and password, and that the server is up and accepts the connection"
                    : "check that the path is a writable SQLite file (or does not exist yet) and its folder is writable")
        case .migrationFailed(let path, let detail):
            return "cannot migrate the stargraph database at \(path): \(detail); "
                + "make sure no other program holds a long write lock on it, then retry"
        case .foreignDatabase(let path, let tables):
            return "the database at \(path) was written by another program, not by this host: "
                + "\(tables.joined(separator: "; ")); open a database this host created, or a new file"
        case .schemaTooNew(let path, let unknown):
            return "the stargraph database at \(path) was migrated by a newer stargraph "
                + "(unknown migrations: \(unknown.joined(separator: ", "))); upgrade stargraph or open another database"
        case .stepAlreadyCommitted(let runId, let step):
            return "step \(step) of run \(runId) is already committed; a step is written once — "
                + "resume from the run's step_count instead of re-running the step"
        case .runNotFound(let runId):
            return "no run \(runId) in this database"
        case .runAlreadyExists(let runId):
            return "run \(runId) already exists; generate a fresh run id for a new run"
        case .mismatchedRunIds(let checkpointRunId, let runId):
            return "checkpoint of run \(checkpointRunId) committed together with run row \(runId); "
                + "commit a checkpoint with its own run's row"
        case .idempotencyKeyTaken(let key):
            return "idempotency key \(key) is already used by another run; send a new key for a new run"
        case .corruptColumn(let runId, let column, let detail):
            return "stored column \(column) of run \(runId) is corrupt (\(detail)); "
                + "the database was edited outside stargraph — restore it from a backup or delete that run"
        case .closed(let path):
            return "the stargraph database at \(path) is closed; open the store again to keep writing"
        case .runExecutingElsewhere(let runId, let holder):
            return "run \(runId) is being executed by \(holder); wait until it stops, or stop that process, "
                + "then resume the run"
        case .leaseLost(let runId, let epoch):
            return "run \(runId) was taken over by another scheduler (its lease moved past epoch \(epoch)); "
                + "this process wrote nothing and gave the run up"
        case .database(let operation, let detail):
            return "database error while \(operation): \(detail)"
        }
    }
}
