import Foundation
import GRDB
import GRDBSQLite

extension Statement {
    /// Runs this write statement once with `values` bound to its parameters `?1…?n`, straight
    /// through the SQLite C API.
    ///
    /// The store's per-step writes use it instead of ``Statement/execute(arguments:)``: building
    /// `StatementArguments` from a value array and binding it through GRDB's validation and nested
    /// temporary bindings is a visible share of a run's CPU (docs/performance.md). Strings are
    /// copied by SQLite (`SQLITE_TRANSIENT`), so nothing here outlives the call.
    ///
    /// Use it only for `INSERT`/`UPDATE`/`DELETE` inside a transaction the caller opened through
    /// GRDB, and never with database observation: GRDB does not see this execution.
    /// - Throws: `DatabaseError` with SQLite's extended result code and message; the statement
    ///   is reset, so it can be run again.
    package func executeDirectly(_ values: [DatabaseValue]) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        for (index, value) in zip(Int32(1)..., values) {
            let code = Self.bind(value, to: statement, at: index)
            guard code == SQLITE_OK else { throw failure(code) }
        }
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_DONE:
                sqlite3_reset(statement)
                return
            case SQLITE_ROW:
                continue
            case let code:
                let error = failure(code)
                sqlite3_reset(statement)
                throw error
            }
        }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let connection = sqlite3_db_handle(sqliteStatement)
        return DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }

    private static func bind(_ value: DatabaseValue, to statement: SQLiteStatement, at index: Int32) -> Int32 {
        switch value.storage {
        case .null:
            return sqlite3_bind_null(statement, index)
        case .int64(let integer):
            return sqlite3_bind_int64(statement, index, integer)
        case .double(let double):
            return sqlite3_bind_double(statement, index, double)
        case .string(var text):
            // An empty buffer may have no address, which SQLite would bind as NULL.
            if text.isEmpty { return sqlite3_bind_text(statement, index, "", 0, transient) }
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { characters in
                    sqlite3_bind_text(statement, index, characters.baseAddress, Int32(characters.count), transient)
                }
            }
        case .blob(let data):
            if data.isEmpty { return sqlite3_bind_zeroblob(statement, index, 0) }
            return data.withUnsafeBytes { bytes in
                sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), transient)
            }
        }
    }
}

/// SQLite's `SQLITE_TRANSIENT` destructor: SQLite copies the bound bytes before the call returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
