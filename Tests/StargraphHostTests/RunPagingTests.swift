import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore

/// `GET /v1/runs` pages by cursor: a walk over every page sees each run that existed at its
/// first page exactly once while other clients insert runs, and filters hold across pages.
@Suite("Serve: runs listed by cursor")
struct RunPagingTests {
    static func run(_ runId: String, graphId: String = "paged", createdAt: Date) -> RunRecord {
        RunRecord(
            runId: runId, graphId: graphId, graphHash: "sha256:abc", graphSource: "id: \(graphId)\n",
            graphOrigin: "graphs/\(graphId).yaml", status: .done, inputs: [:], state: [:], maxSteps: 10,
            createdAt: createdAt, startedAt: createdAt, updatedAt: createdAt)
    }

    @Test("10 000 runs walked page by page while 8 clients insert more: each existing run seen exactly once")
    func walkUnderInserts() async throws {
        try await ServeTestHarness.with { server in
            let store = server.server.runtime.store
            let base = Date().addingTimeInterval(-86_400)
            // Many share a created_at, so the run id must break ties.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        for index in stride(from: client, to: 10_000, by: 8) {
                            try await store.insertRun(Self.run(String(format: "run-%05d", index), createdAt: base.addingTimeInterval(Double(index / 3))), events: [])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let existing = Set((0..<10_000).map { String(format: "run-%05d", $0) })
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            let inserting = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in 0..<8 {
                        group.addTask {
                            for index in 0..<200 {
                                try await store.insertRun(Self.run("run-new-\(client)-\(index)", createdAt: Date()), events: [])
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            repeat {
                let query = "/v1/runs?graph_id=paged&limit=500" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await server.request("GET", query).json()
                seen += page["items"]?.arrayValue?.compactMap { $0["run_id"]?.stringValue } ?? []
                cursor = page["next_cursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 100
            try await inserting.value
            let old = seen.filter(existing.contains)
            #expect(old.count == 10_000 && Set(old) == existing, "every existing run once: \(old.count) seen, \(Set(old).count) distinct")
            #expect(seen.count == Set(seen).count, "no run twice")
            #expect(old == old.sorted(by: >), "newest first, ties by run id")
        }
    }

    @Test("filters by time, refuses a cursor for other filters, a forged cursor and cursor with offset")
    func filtersAndBadCursors() async throws {
        try await ServeTestHarness.with { server in
            let store = server.server.runtime.store
            let base = Date(timeIntervalSince1970: 1_790_000_000)
            for index in 0..<5 {
                try await store.insertRun(Self.run("run-t\(index)", createdAt: base.addingTimeInterval(Double(index) * 60)), events: [])
            }
            let window = try await server.request("GET", "/v1/runs?created_after=2026-09-21T14:14:00Z&created_before=2026-09-21T14:17:00.000Z").json()
            #expect(window["items"]?.arrayValue?.compactMap { $0["run_id"]?.stringValue } == ["run-t3", "run-t2", "run-t1"])
            let first = try await server.request("GET", "/v1/runs?graph_id=paged&limit=2").json()
            let cursor = try #require(first["next_cursor"]?.stringValue)
            try await server.request("GET", "/v1/runs?graph_id=other&cursor=\(cursor)").problem(400, "invalid-query-parameter")
            try await server.request("GET", "/v1/runs?graph_id=paged&cursor=bm90LWEtY3Vyc29y").problem(400, "invalid-query-parameter")
            try await server.request("GET", "/v1/runs?graph_id=paged&cursor=\(cursor)&offset=2").problem(400, "invalid-query-parameter")
            try await server.request("GET", "/v1/runs?created_after=yesterday").problem(400, "invalid-query-parameter")
            let second = try await server.request("GET", "/v1/runs?graph_id=paged&limit=2&cursor=\(cursor)").json()
            #expect(second["items"]?.arrayValue?.compactMap { $0["run_id"]?.stringValue } == ["run-t2", "run-t1"])
            #expect(second["total"]?.intValue == 5 && second["limit"]?.intValue == 2)
        }
    }
}
