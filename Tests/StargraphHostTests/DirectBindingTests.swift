import Foundation
import GRDB
import Testing
@testable import StargraphHost

@Suite("Store: statements bound through the SQLite C API")
struct DirectBindingTests {
    private static func temporaryDatabase() throws -> (DatabaseQueue, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-bind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("bind.sqlite").path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, text TEXT, number INTEGER, real REAL, data BLOB)")
        }
        return (queue, folder)
    }

    @Test("every kind of value is stored as GRDB would store it, empty text included")
    func bindsEveryStorage() throws {
        let (queue, folder) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        let values: [[DatabaseValue]] = [
            ["a".databaseValue, "".databaseValue, Int64.max.databaseValue, 2.5.databaseValue, Data([0, 1, 255]).databaseValue],
            ["b".databaseValue, "Grüße, 世界 🎉".databaseValue, .null, .null, Data().databaseValue],
        ]
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)")
            for row in values { try insert.executeDirectly(row) }
        }
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM t ORDER BY id") }
        #expect(rows.map { Array($0.databaseValues) } == values)
        // Empty text is text, not NULL.
        #expect(try queue.read { db in try String.fetchOne(db, sql: "SELECT typeof(text) FROM t WHERE id = 'a'") } == "text")
    }

    @Test("a failing statement throws SQLite's extended code and can run again")
    func failureIsReportedAndStatementReusable() throws {
        let (queue, folder) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: folder) }
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (id, text) VALUES (?, ?)")
            try insert.executeDirectly(["x".databaseValue, "first".databaseValue])
            #expect {
                try insert.executeDirectly(["x".databaseValue, "again".databaseValue])
            } throws: { error in
                guard let error = error as? DatabaseError else { return false }
                return error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY && error.sql == insert.sql
            }
            try insert.executeDirectly(["y".databaseValue, "second".databaseValue])
        }
        let texts = try queue.read { db in try String.fetchAll(db, sql: "SELECT text FROM t ORDER BY id") }
        #expect(texts == ["first", "second"])
    }
}
