import Dispatch
import GRDBSQLite

/// What SQLite alone costs for a checkpoint-sized row: one prepared `INSERT` per row, each its
/// own commit, with the store's pragmas (WAL, `synchronous=NORMAL`), straight on the C API. The
/// benchmarks divide an engine step by it.
package enum RawInsertBaseline {
    /// Seconds to insert `count` rows of the fourteen text columns `rowsLike` (column 2, the step,
    /// is the row number) into a new database at `path`.
    package static func seconds(inserting count: Int, rowsLike texts: [String], into path: String) -> Double {
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        defer { sqlite3_close(db) }
        sqlite3_exec(db, """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
            CREATE TABLE c(run_id TEXT, step INT, branch_id TEXT, node TEXT, state TEXT, facts TEXT, next_action TEXT,
                output TEXT, input_hash TEXT, output_hash TEXT, graph_hash TEXT, rules_fired TEXT, effects TEXT, ts TEXT,
                PRIMARY KEY(run_id, step, branch_id))
            """, nil, nil, nil)
        var insert: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO c VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &insert, nil)
        defer { sqlite3_finalize(insert) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let start = DispatchTime.now().uptimeNanoseconds
        for row in 0..<count {
            for (index, text) in texts.enumerated() where index != 1 {
                sqlite3_bind_text(insert, Int32(index + 1), text, -1, transient)
            }
            sqlite3_bind_int64(insert, 2, Int64(row))
            sqlite3_step(insert)
            sqlite3_reset(insert)
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
