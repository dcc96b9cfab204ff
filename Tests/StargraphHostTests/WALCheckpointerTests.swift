import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore

@Suite("WAL checkpoints off the writer")
struct WALCheckpointerTests {
    /// Inserts `count` runs one commit each, every row carrying about 2 KB of state, so the WAL
    /// grows by several frames per commit.
    private static func insertRuns(_ store: SQLiteRunStore, count: Int) async throws {
        let padding = String(repeating: "x", count: 2048)
        for index in 0..<count {
            let now = Date()
            let run = RunRecord(
                runId: "run-wal-\(index)", graphId: "wal", graphHash: "sha256:abc", graphSource: "id: wal\n",
                graphOrigin: "graphs/wal.yaml", status: .running, inputs: [:],
                state: ["index": .number(Double(index)), "padding": .string(padding)], maxSteps: 10,
                createdAt: now, startedAt: now, updatedAt: now)
            try await store.insertRun(run, events: [])
        }
    }

    /// A fresh folder under the temporary directory; each test removes its own.
    private static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("wal-tests-\(UUID().uuidString)")
    }

    private static func walFrames(_ path: String) throws -> Int {
        let size = (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        return max(0, size - 32) / (4096 + 24)
    }

    @Test func theBackgroundThreadCheckpointsAndTheWALStaysBounded() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        let store = try SQLiteRunStore(path: path, checkpointsInBackground: true)
        let checkpointer = try #require(store.checkpointer)

        try await Self.insertRuns(store, count: 4000)
        // Each commit writes several pages: tens of thousands of frames in all, far past the
        // writer's own checkpoint at 4000. The WAL restarted rather than grew, and the background
        // thread did checkpoints meanwhile.
        // The file keeps its largest size: past SQLite's 1000 frames, and past 4000 only by what
        // was committed while a background checkpoint kept the writer's own from running.
        let frames = try Self.walFrames(path)
        #expect(frames > 1100 && frames < 2 * Int(WALCheckpointer.writerFrames), "WAL file of \(frames) frames")
        for _ in 0..<200 where checkpointer.checkpointCount == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(checkpointer.checkpointCount > 0)
        // The WAL restarted (it is far below the frames written), and the background prepared
        // the writer's checkpoints before it ran them.
        #expect(checkpointer.preparedRestartCount > 0)
        // Operators find the thread by name (`top -H`, `perf`).
        let threadNames = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").map {
            try #require(ProcFile.read("/proc/self/task/\($0)/comm"))
        }
        #expect(threadNames.contains("sg-checkpoint\n"))

        try await store.close()
        let reopened = try SQLiteRunStore(path: path)
        #expect(try reopened.listRuns(RunQuery(graphId: "wal", limit: 1)).total == 4000)
        #expect(try reopened.run("run-wal-3999")?.state["index"] == .number(3999))
    }

    @Test func withoutTheOptionSQLiteCheckpointsInTheWriter() async throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        let store = try SQLiteRunStore(path: path)
        #expect(store.checkpointer == nil)
        try await Self.insertRuns(store, count: 1000)
        // SQLite's automatic checkpoint at 1000 frames keeps the WAL near that size.
        let frames = try Self.walFrames(path)
        #expect(frames >= 1000 && frames < 1100, "WAL file of \(frames) frames")
        try await store.close()
    }
}
