import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphSQLite
@testable import StargraphCore
@testable import StargraphStore

@Suite("Run execution claims")
struct RunExecutionClaimTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString)")

    private func openStore() throws -> SQLiteRunStore {
        try SQLiteRunStore(path: folder.appendingPathComponent("claims.sqlite").path)
    }

    private func holder(of error: any Error) -> RunExecutionHolder? {
        guard case StoreError.runExecutingElsewhere(_, let holder) = error else { return nil }
        return holder
    }

    @Test func aLiveHolderRefusesEveryOtherProcessUntilItReleases() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openStore()
        let first = try await store.claimExecution(runId: "run-a", by: .current(), command: "stargraph resume")
        do {
            _ = try await store.claimExecution(runId: "run-a", by: .current(), command: "stargraph resume")
            Issue.record("a second claim of a held run succeeded")
        } catch {
            let refused = try #require(holder(of: error))
            #expect(refused.pid == getpid() && refused.command == "stargraph resume")
            #expect("\(error)".contains("is being executed by stargraph resume (pid \(getpid())"))
        }
        let other = try await store.claimExecution(runId: "run-b", by: .current(), command: "stargraph run")
        await first.release()
        let again = try await store.claimExecution(runId: "run-a", by: .current(), command: "stargraph resume")
        await again.release()
        await other.release()
        try await store.close()
    }

    @Test func theClaimOfAProcessThatIsGoneIsTakenOver() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openStore()
        let host = SchedulerProcess.current().host
        let killed = SchedulerProcess(id: "\(host)/999999999/gone", host: host, pid: 999_999_999, startTicks: nil)
        let stale = try await store.claimExecution(runId: "run-a", by: killed, command: "stargraph run")
        let taken = try await store.claimExecution(runId: "run-a", by: .current(), command: "stargraph resume")
        await stale.release()
        await #expect(throws: StoreError.self) {
            _ = try await store.claimExecution(runId: "run-a", by: .current(), command: "stargraph resume")
        }
        await taken.release()
        try await store.close()
    }

    @Test func aRunALiveSchedulerClaimsIsRefused() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openStore()
        let scheduler = SchedulerProcess.current()
        try await store.recordSchedulerHeartbeat(scheduler)
        _ = try await store.write("queueing a run under the scheduler's claim") { db in
            try SQLiteRunStore.admit(db, runId: "run-q", graphId: "g", .queued(params: [:], idempotency: nil, claimedBy: scheduler.id))
        }
        await #expect(throws: StoreError.self) {
            _ = try await store.claimExecution(runId: "run-q", by: .current(), command: "stargraph resume")
        }
        try await store.close()
    }
}
