import Foundation
import Testing
@testable import StargraphSQLite

/// The store conformance checks on the SQLite store, each on a new database file.
@Suite("Store conformance: SQLite")
struct SQLiteStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws { try await onFreshStore(check.run) }

    private func onFreshStore(_ check: (StoreConformance.Store) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-conformance-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await check(store)
        try await store.close()
    }
}
