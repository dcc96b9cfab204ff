import Foundation
import GRDB
import StargraphCore

/// One read-only query on an SQLite file the host does not own (a broker policy source): the
/// values reach SQLite only as bound named parameters, never as SQL text.
package enum ReadOnlySQLiteQuery {
    /// Why the query gave no rows; the details are SQLite's own messages, without SQL or paths.
    package enum Failure: Error {
        case cannotOpen(String)
        /// The statement would write.
        case notReadOnly
        case failed(String)
    }

    /// The first `maxRows` rows of `sql` on the file at `path`, opened read-only, with
    /// `arguments` bound by name (`:name`); each row is a JSON object of its columns (blobs as
    /// base64, non-finite numbers as `null`).
    package static func rows(
        path: String, sql: String, arguments: [String: String], maxRows: Int
    ) async throws(Failure) -> [JSONValue] {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "read-only-query"
        let database: DatabaseQueue
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw .cannotOpen(message(error))
        }
        defer { try? database.close() }
        let bound = StatementArguments(arguments.mapValues { $0 as (any DatabaseValueConvertible)? })
        do {
            return try await database.read { db in
                let statement = try db.makeStatement(sql: sql)
                guard statement.isReadonly else { throw Failure.notReadOnly }
                try statement.setArguments(bound)
                var rows: [JSONValue] = []
                let cursor = try Row.fetchCursor(statement)
                while rows.count < maxRows, let row = try cursor.next() {
                    rows.append(json(row))
                }
                return rows
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .failed(message(error))
        }
    }

    private static func json(_ row: Row) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for (column, value) in row {
            members[column] = switch value.storage {
            case .null: .null
            case .int64(let number): .number(Double(number))
            case .double(let number): number.isFinite ? .number(number) : .null
            case .string(let text): .string(text)
            case .blob(let data): .string(data.base64EncodedString())
            }
        }
        return .object(members)
    }

    /// SQLite's own message, without the SQL or file path GRDB adds.
    private static func message(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(type(of: error))"
    }
}
