import Foundation
import Testing
@testable import StargraphSQLite

/// The store conformance checks on the SQLite store, each on a new database file.
@Suite("Store conformance: SQLite")
struct SQLiteStoreConformanceTests {
    @Test func runs() async throws { try await onFreshStore(StoreConformance.runs) }
    @Test func checkpoints() async throws { try await onFreshStore(StoreConformance.checkpoints) }
    @Test func eventsInOrder() async throws { try await onFreshStore(StoreConformance.eventsInOrder) }
    @Test func listing() async throws { try await onFreshStore(StoreConformance.listing) }
    @Test func graphSources() async throws { try await onFreshStore(StoreConformance.graphSources) }
    @Test func artifacts() async throws { try await onFreshStore(StoreConformance.artifacts) }
    @Test func admission() async throws { try await onFreshStore(StoreConformance.admission) }
    @Test func idempotencyKeys() async throws { try await onFreshStore(StoreConformance.idempotencyKeys) }
    @Test func claimsAndLeases() async throws { try await onFreshStore(StoreConformance.claimsAndLeases) }
    @Test func executions() async throws { try await onFreshStore(StoreConformance.executions) }
    @Test func triggersAndInterrupts() async throws { try await onFreshStore(StoreConformance.triggersAndInterrupts) }
    @Test func webhookDeliveriesFollowEvents() async throws { try await onFreshStore(StoreConformance.webhookDeliveriesFollowEvents) }
    @Test func webhookLeasesAndAttempts() async throws { try await onFreshStore(StoreConformance.webhookLeasesAndAttempts) }

    private func onFreshStore(_ check: (StoreConformance.Store) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-conformance-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteRunStore(path: folder.appendingPathComponent("store.sqlite").path)
        try await check(store)
        try await store.close()
    }
}
