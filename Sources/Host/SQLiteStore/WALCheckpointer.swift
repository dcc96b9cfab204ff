import Foundation
import GRDB
import StargraphStore
import GRDBSQLite
import Synchronization

/// Copies the WAL's committed frames into the database file on a thread of its own, so the
/// store's writer does not stall on checkpoints.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1000 WAL frames: that
/// writer then copies every frame and syncs the WAL and the database file, while every other
/// write waits behind it. Here the writer connection's WAL hook only wakes this thread, which runs
/// a `PASSIVE` checkpoint on its own connection: it never blocks the writer, and syncs as the
/// store's ``Durability`` says, so durability is unchanged.
///
/// A passive checkpoint cannot restart the WAL while writes keep arriving, so the writer still
/// checkpoints itself past ``writerFrames``, and the next write starts the WAL file over. That
/// checkpoint syncs the WAL and the database file while every write waits, so it is prepared:
/// the WAL crossing ``writerFrames`` asks the background for two more passes that also sync the
/// database file, and only then does the writer checkpoint, copying and syncing just what was
/// committed meanwhile, which shortens the writer's stall (docs/performance.md). If the
/// background does not answer before the WAL doubles, the writer checkpoints anyway.
/// The WAL file therefore stays near ``writerFrames`` pages, larger than with SQLite's own
/// checkpoints at 1000 frames.
package final class WALCheckpointer: Sendable {
    /// WAL growth, in frames, after which the writer wakes the background checkpoint.
    package static let backgroundFrames: Int32 = 1000
    /// WAL size, in frames, at which the writer checkpoints itself (and the WAL restarts).
    static let writerFrames: Int32 = 4000

    private struct State {
        var isStopped = false
        /// The writer's WAL hook holds a reference to this checkpointer while installed.
        var isInstalled = false
        /// WAL size when the background was last woken.
        var wokenAt: Int32 = 0
        var checkpoints = 0
        /// The writer's WAL reached ``writerFrames``: the background's next checkpoint also syncs
        /// the database file.
        var restartRequested = false
        /// The background has just done that, so the writer's own checkpoint copies and syncs
        /// only what was committed since.
        var primed = false
        /// Restarts the background prepared so far.
        var preparedRestarts = 0
    }

    /// The checkpoint connection: used only on the checkpoint thread, and closed by it.
    private struct Connection: @unchecked Sendable {
        // Safe: the handle is touched by one thread only (the checkpoint thread), which opens it
        // before this value exists and closes it after its last checkpoint.
        let handle: OpaquePointer
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// Background checkpoints run so far (tests witness that the writer was relieved).
    package var checkpointCount: Int { state.withLock { $0.checkpoints } }
    /// WAL restarts the background prepared for the writer so far.
    package var preparedRestartCount: Int { state.withLock { $0.preparedRestarts } }

    /// Opens a second connection to the database at `path`, applying `synchronousPragma` to its
    /// checkpoints, and starts the checkpoint thread.
    /// - Throws: ``StoreError/cannotOpen(path:detail:)``.
    package init(path: String, synchronousPragma: String) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let detail = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw .cannotOpen(path: path, detail: "checkpoint connection: \(detail)")
        }
        sqlite3_exec(handle, synchronousPragma, nil, nil, nil)
        let connection = Connection(handle: handle)
        // The thread holds this checkpointer until ``stop()`` ends it.
        Thread {
            Self.nameCurrentThread("sg-checkpoint")
            self.checkpointUntilStopped(connection)
        }.start()
    }

    /// Makes the writer connection `db` wake this checkpointer as its WAL grows, instead of
    /// checkpointing at 1000 frames itself. The hook keeps this checkpointer alive until
    /// ``uninstall(from:)``, so a commit after ``stop()`` finds it (stopped) rather than freed.
    package func install(on db: Database) {
        state.withLock { $0.isInstalled = true }
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, schema, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
                .walGrew(to: frames, connection: connection, schema: schema)
            return SQLITE_OK
        }, Unmanaged.passRetained(self).toOpaque())
    }

    /// Gives `db` back SQLite's own automatic checkpoint, and releases the hook's reference.
    package func uninstall(from db: Database) {
        let wasInstalled = state.withLock { state -> Bool in
            defer { state.isInstalled = false }
            return state.isInstalled
        }
        guard wasInstalled else { return }
        sqlite3_wal_autocheckpoint(db.sqliteConnection, 1000)
        Unmanaged.passUnretained(self).release()
    }

    /// Stops the thread after its current checkpoint and closes its connection.
    package func stop() {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.isStopped = true }
            return !state.isStopped
        }
        guard wasRunning else { return }
        wake.signal()
        stopped.wait()
    }

    /// Gives the calling thread its name in the kernel (`top -H`, `perf`, `/proc/self/task`).
    /// Foundation's `Thread.name` reaches the kernel only when set after `start()` has recorded
    /// the running thread, which races with the thread itself; the thread naming itself cannot.
    private static func nameCurrentThread(_ name: String) {
        #if os(Linux)
        guard let comm = FileHandle(forWritingAtPath: "/proc/thread-self/comm") else { return }
        try? comm.write(contentsOf: Data(name.utf8))
        try? comm.close()
        #else
        Thread.current.name = name
        #endif
    }

    private func checkpointUntilStopped(_ connection: Connection) {
        while true {
            wake.wait()
            if state.withLock({ $0.isStopped }) { break }
            let preparesRestart = state.withLock { $0.restartRequested }
            sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            if preparesRestart {
                // A second pass copies what was committed during the first, which is short.
                Self.syncDatabaseFile(connection.handle)
                sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                Self.syncDatabaseFile(connection.handle)
            }
            state.withLock { state in
                state.checkpoints += 1
                if preparesRestart {
                    state.restartRequested = false
                    state.primed = true
                    state.preparedRestarts += 1
                }
            }
        }
        sqlite3_close_v2(connection.handle)
        stopped.signal()
    }

    /// Syncs the database file of the checkpoint connection `handle` (what the writer's own
    /// checkpoint would otherwise sync while every write waits).
    private static func syncDatabaseFile(_ handle: OpaquePointer) {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(handle, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK, let file,
              let sync = file.pointee.pMethods?.pointee.xSync else { return }
        _ = sync(file, SQLITE_SYNC_NORMAL)
    }

    /// Called on the writer after each commit, with the WAL's size in frames.
    private func walGrew(to frames: Int32, connection: OpaquePointer?, schema: UnsafePointer<CChar>?) {
        if frames >= Self.writerFrames {
            let (checkpoints, wakes) = state.withLock { state -> (Bool, Bool) in
                if state.primed || frames >= 2 * Self.writerFrames {
                    state.primed = false
                    state.wokenAt = 0
                    return (true, false)
                }
                // Wake the background only on the first commit past the mark.
                let firstRequest = !state.restartRequested
                state.restartRequested = true
                return (false, firstRequest)
            }
            if wakes { wake.signal() }
            if checkpoints { sqlite3_wal_checkpoint_v2(connection, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
            return
        }
        let wakes = state.withLock { state -> Bool in
            if frames < state.wokenAt { state.wokenAt = 0 }  // the WAL restarted
            guard frames - state.wokenAt >= Self.backgroundFrames else { return false }
            state.wokenAt = frames
            return true
        }
        if wakes { wake.signal() }
    }
}
