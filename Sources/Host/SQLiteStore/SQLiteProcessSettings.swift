import CSQLiteTuning
import GRDBSQLite

/// The process-wide SQLite settings a host executable applies once, first thing in `main`.
///
/// - **Multi-thread mode** (`SQLITE_CONFIG_MULTITHREAD`): connections take no mutex on every
///   call. Safe here because no connection is ever used by two threads at once: GRDB runs each
///   of its connections on one serial queue, and ``WALCheckpointer`` keeps its own connection on
///   its own thread. A plugin that shares one SQLite connection between threads must open it
///   with `SQLITE_OPEN_FULLMUTEX` (docs/plugins.md).
/// - **No memory statistics** (`SQLITE_CONFIG_MEMSTATUS` off): SQLite no longer takes a global
///   mutex around every allocation to count it.
///
/// What both save is measured in docs/performance.md.
public enum SQLiteProcessSettings {
    /// Which settings ``apply()`` made.
    public struct Outcome: Sendable, Equatable, CustomStringConvertible {
        /// Multi-thread mode is on.
        public let multiThread: Bool
        /// Memory statistics are off.
        public let memoryStatisticsOff: Bool

        public var description: String {
            guard multiThread || memoryStatisticsOff else {
                return "SQLite was already in use, so its process settings were left at their defaults"
            }
            return "SQLite runs in " + (multiThread ? "multi-thread" : "serialized") + " mode with memory statistics "
                + (memoryStatisticsOff ? "off" : "on")
        }
    }

    /// Applies both settings. Call it before any thread uses SQLite: `sqlite3_config` is not
    /// thread-safe, and once SQLite is initialized it refuses (the outcome then says so and
    /// SQLite keeps its defaults, which are correct, only slower).
    public static func apply() -> Outcome {
        let result = stargraph_sqlite_tune_process()
        return Outcome(multiThread: result.multithread == SQLITE_OK, memoryStatisticsOff: result.memstatus == SQLITE_OK)
    }
}
