import Foundation
import Hummingbird
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphServe

@Suite("Stream: /v1/runs/{id}/stream over a real WebSocket")
struct StreamTests {
    typealias Context = StargraphRequestContext

    /// A server with the stream route (WebSocket router = HTTP router) on `folder.store`.
    static func server(_ folder: TestStoreFolder, hub: RunEventHub, limits: StreamLimits = StreamLimits()) async throws -> TestServer {
        let router = Router(context: Context.self)
        router.add(middleware: AuthMiddleware(profile: .ossDefault, keys: nil))
        StreamRoutes.register(on: router, store: folder.store, hub: hub, limits: limits)
        return try await TestServer.start(router: router)
    }

    static func finish(_ folder: TestStoreFolder, _ run: RunRecord, extraSteps: Int = 0) async throws {
        var done = run
        done.status = .done
        let events = (0..<extraSteps).map { folder.event(run.runId, "step", step: $0) } + [folder.event(run.runId, "run_done")]
        try await folder.store.updateRun(done, events: events)
    }

    static func seqs(_ events: [JSONValue]) -> [Int] { events.compactMap { $0["seq"]?.intValue } }

    @Test func replaysTheDurableLogFromTheStartThenClosesNormally() async throws {
        let folder = try TestStoreFolder()
        let run = try await folder.insertRun("r-replay", eventCount: 4)
        try await Self.finish(folder, run, extraSteps: 1)
        let server = try await Self.server(folder, hub: RunEventHub())
        defer { Task { await server.stop() } }

        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-replay/stream")
        #expect(socket.status == 101)
        let (events, close) = try await socket.receiveAll()
        #expect(Self.seqs(events) == [1, 2, 3, 4, 5, 6])
        #expect(events.last?["type"] == "run_done")
        #expect(close == .close(code: 1000, reason: "run done"))
        let first = try #require(events.first?.objectValue)
        #expect(Set(first.keys) == ["seq", "run_id", "step", "type", "ts", "payload"])
        #expect(first["run_id"] == "r-replay")
        #expect(first["type"] == "run_created")
        #expect(first["step"] == .null)
        #expect(first["payload"] == ["n": 1])
        #expect(Timestamps.parse(first["ts"]?.stringValue ?? "") != nil)
        #expect(events[4]["step"] == 0)
    }

    @Test func resumesAfterLastEventIdWithoutGapOrDuplicate() async throws {
        let folder = try TestStoreFolder()
        let run = try await folder.insertRun("r-resume", eventCount: 5)
        try await Self.finish(folder, run)
        let server = try await Self.server(folder, hub: RunEventHub())
        defer { Task { await server.stop() } }
        for after in [0, 3, 5, 6] {
            let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-resume/stream?last_event_id=\(after)")
            let (events, close) = try await socket.receiveAll()
            #expect(Self.seqs(events) == Array(stride(from: after + 1, through: 6, by: 1)), "after \(after)")
            #expect(close == .close(code: 1000, reason: "run done"))
        }
    }

    @Test func deliversLiveEventsAsTheyCommit() async throws {
        let folder = try TestStoreFolder()
        let hub = RunEventHub()
        var limits = StreamLimits()
        limits.pollInterval = .seconds(60)  // only the hub may wake the stream here
        let run = try await folder.insertRun("r-live", eventCount: 2)
        let server = try await Self.server(folder, hub: hub, limits: limits)
        defer { Task { await server.stop() } }

        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-live/stream?last_event_id=1")
        #expect(try await socket.receive() == .text(Self.frameText(folder, "r-live", seq: 2)))
        for batch in 0..<3 {
            try await folder.store.updateRun(run, events: [folder.event("r-live", "step", step: batch), folder.event("r-live", "step", step: batch)])
            hub.runUpdated("r-live")
            let first = try await socket.receive()
            let second = try await socket.receive()
            #expect(first == .text(Self.frameText(folder, "r-live", seq: 3 + batch * 2)))
            #expect(second == .text(Self.frameText(folder, "r-live", seq: 4 + batch * 2)))
        }
        try await Self.finish(folder, run)
        hub.runUpdated("r-live")
        let (rest, close) = try await socket.receiveAll()
        #expect(Self.seqs(rest) == [9])
        #expect(close == .close(code: 1000, reason: "run done"))
    }

    @Test func pollsForEventsCommittedByAnotherProcess() async throws {
        let folder = try TestStoreFolder()
        var limits = StreamLimits()
        limits.pollInterval = .milliseconds(100)
        let run = try await folder.insertRun("r-poll", eventCount: 1)
        let server = try await Self.server(folder, hub: RunEventHub(), limits: limits)
        defer { Task { await server.stop() } }
        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-poll/stream")
        #expect(try await socket.receive() == .text(Self.frameText(folder, "r-poll", seq: 1)))
        // Another RunStore on the same file stands for another process: the hub is never told.
        let other = try SQLiteRunStore(path: folder.store.path)
        var done = run
        done.status = .done
        try await other.updateRun(done, events: [folder.event("r-poll", "run_done")])
        let (rest, close) = try await socket.receiveAll()
        #expect(Self.seqs(rest) == [2])
        #expect(close == .close(code: 1000, reason: "run done"))
    }

    @Test func closesTerminalRunsWithoutTerminalEvent() async throws {
        let folder = try TestStoreFolder()
        _ = try await folder.insertRun("r-cancelled", eventCount: 2)
        #expect(try await folder.store.transitionStatus(runId: "r-cancelled", from: [.running], to: .cancelled))
        let server = try await Self.server(folder, hub: RunEventHub())
        defer { Task { await server.stop() } }
        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-cancelled/stream")
        let (events, close) = try await socket.receiveAll()
        #expect(Self.seqs(events) == [1, 2])
        #expect(close == .close(code: 1000, reason: "run cancelled"))
    }

    @Test func refusesUnknownRunsAndBadResumePoints() async throws {
        let folder = try TestStoreFolder()
        _ = try await folder.insertRun("r-known")
        let server = try await Self.server(folder, hub: RunEventHub())
        defer { Task { await server.stop() } }
        // HummingbirdWebSocket answers a refused upgrade with an empty 400, which WebSocket
        // clients cannot read: an unknown run is upgraded and closed with 4404 and a reason.
        let unknown = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-missing/stream")
        #expect(unknown.status == 101)
        let (events, close) = try await unknown.receiveAll()
        #expect(events.isEmpty)
        #expect(close == .close(code: 4404, reason: "no run r-missing"))
        for bad in ["-1", "abc", "1.5"] {
            let refused = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-known/stream?last_event_id=\(bad)")
            #expect(refused.status == 400, "last_event_id=\(bad)")
        }
        // A plain GET is told to upgrade, with a problem document.
        let plain = try await httpRequest(port: server.port, "GET", "/v1/runs/r-known/stream")
        #expect(plain.status == 426)
        #expect(plain.header("Upgrade") == "websocket")
        #expect(plain.header("Content-Type") == "application/problem+json")
    }

    @Test func closesAConsumerThatFallsTooFarBehind() async throws {
        let folder = try TestStoreFolder()
        let hub = RunEventHub()
        var limits = StreamLimits()
        limits.maxPendingEvents = 5
        let run = try await folder.insertRun("r-slow", eventCount: 20)
        let server = try await Self.server(folder, hub: hub, limits: limits)
        defer { Task { await server.stop() } }
        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-slow/stream")
        // The backlog present at connect time is exempt from the limit.
        for seq in 1...20 { #expect(try await socket.receive() == .text(Self.frameText(folder, "r-slow", seq: seq))) }
        try await folder.store.updateRun(run, events: (0..<30).map { folder.event("r-slow", "step", step: $0) })
        hub.runUpdated("r-slow")
        let (events, close) = try await socket.receiveAll()
        #expect(events.isEmpty)
        guard case .close(let code, let reason) = close else { Issue.record("no close frame"); return }
        #expect(code == 1008)
        #expect(reason.contains("last_event_id=20"))
        try await Self.waitForNoWaiters(hub, "r-slow")
    }

    @Test func closesAConsumerWhoseSocketStopsAccepting() async throws {
        let folder = try TestStoreFolder()
        let hub = RunEventHub()
        var limits = StreamLimits()
        limits.stallTimeout = .milliseconds(500)
        limits.closeTimeout = .milliseconds(500)
        let run = try await folder.insertRun("r-stall", eventCount: 1)
        let big = JSONValue.string(String(repeating: "x", count: 64 * 1024))
        for _ in 0..<8 {
            try await folder.store.updateRun(
                run, events: (0..<40).map { _ in EventRecord(runId: "r-stall", seq: 0, step: 0, type: "step", ts: Date(), payload: ["blob": big]) })
        }
        let server = try await Self.server(folder, hub: hub, limits: limits)
        defer { Task { await server.stop() } }
        // ~20 MB of frames towards a client that never reads: the socket stops accepting.
        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-stall/stream", receiveBuffer: 4096)
        #expect(socket.status == 101)
        try await Self.waitForNoWaiters(hub, "r-stall")
    }

    @Test func streamsARealRunFromTheEngine() async throws {
        let hub = RunEventHub()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-stream-\(UUID().uuidString)")
        var options = StargraphRuntime.Options()
        options.database = directory.appendingPathComponent("runs.sqlite").path
        options.eventSink = hub
        let runtime = try await StargraphRuntime.open(options)
        let graph = try runtime.compiler.compile(text: """
            ir_version: "1.0.0"
            id: slow
            nodes:
              - {id: a, kind: delay, config: {ms: 50}}
              - {id: b, kind: delay, config: {ms: 50}}
              - {id: c, kind: passthrough}
            rules:
              - {id: ab, when: {node: a}, then: [{kind: goto, target: b}]}
              - {id: bc, when: {node: b}, then: [{kind: goto, target: c}]}
              - {id: end, when: {node: c}, then: [{kind: halt, reason: done}]}
            """, sourceName: "slow.yaml")
        let run = try await runtime.engine.createRun(graph, inputs: [:], maxSteps: nil)
        let router = Router(context: Context.self)
        StreamRoutes.register(on: router, store: runtime.sqliteStore, hub: hub)
        let server = try await TestServer.start(router: router)
        defer { Task { await server.stop() } }

        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/\(run.runId)/stream")
        #expect(try await socket.receive() != .close(code: 1000, reason: "run done"))  // run_created, before any step
        let execution = Task { try await runtime.engine.execute(runId: run.runId) }
        let (events, close) = try await socket.receiveAll()
        #expect(try await execution.value.status == .done)
        let stored = try await runtime.sqliteStore.events(runId: run.runId)
        #expect(Self.seqs(events) == Array(2...stored.count))
        #expect(events.compactMap { $0["type"]?.stringValue } == stored.dropFirst().map(\.type))
        #expect(close == .close(code: 1000, reason: "run done"))
    }

    static func frameText(_ folder: TestStoreFolder, _ runId: String, seq: Int) -> String {
        let event = try? folder.store.events(runId: runId, afterSeq: seq - 1, limit: 1).first
        return event.map(RunEventStreamer.frame) ?? "missing event \(seq)"
    }

    static func waitForNoWaiters(_ hub: RunEventHub, _ runId: String) async throws {
        for _ in 0..<100 where hub.waiterCount(runId) > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(hub.waiterCount(runId) == 0)
    }
}
