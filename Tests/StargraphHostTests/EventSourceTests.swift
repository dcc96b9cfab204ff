import Foundation
import Hummingbird
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphServe

/// A Server-Sent Events client on a raw socket: the response head, then the chunked body cut
/// into messages at blank lines.
final class TestEventSource: @unchecked Sendable {
    // @unchecked: used by one task at a time, as TestSocket is.
    let status: Int
    let headers: [String: String]
    private let socket: TestSocket
    private var text = ""

    private init(socket: TestSocket, status: Int, headers: [String: String]) {
        self.socket = socket
        self.status = status
        self.headers = headers
    }

    static func connect(port: Int, path: String, headers: [String: String] = [:]) async throws -> TestEventSource {
        try await onThread {
            let socket = try TestSocket(port: port)
            var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            try socket.send(Array((head + "\r\n").utf8))
            let (status, fields) = TestHTTPResponse.parseHead(try socket.readHead())
            return TestEventSource(socket: socket, status: status, headers: fields)
        }
    }

    /// The next message's `field: value` lines (comments included as `:`), or `nil` once the
    /// response has ended.
    func next() async throws -> [(field: String, value: String)]? {
        try await onThread { [self] in
            while true {
                if let end = text.range(of: "\n\n") {
                    let message = String(text[..<end.lowerBound])
                    text.removeSubrange(..<end.upperBound)
                    return message.split(separator: "\n").map { line in
                        guard let colon = line.firstIndex(of: ":") else { return (String(line), "") }
                        return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .init(charactersIn: " ")))
                    }
                }
                guard let chunk = try readChunk() else { return nil }
                text += chunk
            }
        }
    }

    /// The data of every event until the response ends, as JSON.
    func eventsUntilEnd() async throws -> [JSONValue] {
        var events: [JSONValue] = []
        while let message = try await next() {
            if let data = message.first(where: { $0.field == "data" }), message.contains(where: { $0.field == "id" }) {
                events.append(try JSONParser.parse(data.value))
            }
        }
        return events
    }

    private func readChunk() throws -> String? {
        var line: [UInt8] = []
        while line.suffix(2) != [0x0D, 0x0A] { line += try socket.read(exactly: 1) }
        guard let size = Int(String(decoding: line.dropLast(2), as: UTF8.self), radix: 16), size > 0 else { return nil }
        let bytes = try socket.read(exactly: size)
        _ = try socket.read(exactly: 2)
        return String(decoding: bytes, as: UTF8.self)
    }
}

@Suite("Stream: /v1/runs/{id}/events as Server-Sent Events")
struct EventSourceTests {
    typealias Context = StargraphRequestContext

    static func server(_ folder: TestStoreFolder, hub: RunEventHub, limits: StreamLimits = StreamLimits()) async throws -> TestServer {
        let router = Router(context: Context.self)
        router.add(middleware: ProblemMiddleware(routes: RouteTemplates(operations: OpenAPIDocument.operations)))
        EventSourceRoute.register(on: router, store: folder.store, hub: hub, limits: limits)
        StreamRoutes.register(on: router, store: folder.store, hub: hub, limits: limits)
        return try await TestServer.start(router: router)
    }

    @Test("the events equal the WebSocket's; a drop at a random point resumes from Last-Event-ID with no gap or duplicate")
    func resumesExactly() async throws {
        let folder = try TestStoreFolder()
        var run = try await folder.insertRun("r-sse", eventCount: 300)
        run.status = .done
        try await folder.store.updateRun(run, events: [folder.event(run.runId, "run_done")])
        let server = try await Self.server(folder, hub: RunEventHub())
        defer { Task { await server.stop() } }

        let whole = try await TestEventSource.connect(port: server.port, path: "/v1/runs/r-sse/events")
        #expect(whole.status == 200 && whole.headers["content-type"] == "text/event-stream")
        let all = try await whole.eventsUntilEnd()
        let socket = try await TestWebSocket.connect(port: server.port, path: "/v1/runs/r-sse/stream")
        let (frames, _) = try await socket.receiveAll()
        #expect(all.count == 301 && all == frames, "SSE data equal the WebSocket frames")

        for _ in 0..<3 {
            let cut = Int.random(in: 1...300)
            var received: [JSONValue] = []
            do {
                let first = try await TestEventSource.connect(port: server.port, path: "/v1/runs/r-sse/events")
                while received.count < cut, let message = try await first.next() {
                    if let data = message.first(where: { $0.field == "data" }), message.contains(where: { $0.field == "id" }) {
                        received.append(try JSONParser.parse(data.value))
                    }
                }
            }  // the connection drops here
            let last = try #require(received.last?["seq"]?.intValue)
            let resumed = try await TestEventSource.connect(port: server.port, path: "/v1/runs/r-sse/events", headers: ["Last-Event-ID": "\(last)"])
            let rest = try await resumed.eventsUntilEnd()
            #expect(received + rest == all, "cut after \(cut)")
        }
    }

    @Test("an idle stream sends heartbeats and then live events; unknown runs and bad resume points are refused")
    func heartbeatsLiveAndRefusals() async throws {
        let folder = try TestStoreFolder()
        let hub = RunEventHub()
        var run = try await folder.insertRun("r-live")
        var limits = StreamLimits()
        limits.heartbeatInterval = .milliseconds(100)
        let server = try await Self.server(folder, hub: hub, limits: limits)
        defer { Task { await server.stop() } }

        let stream = try await TestEventSource.connect(port: server.port, path: "/v1/runs/r-live/events?last_event_id=1")
        var fields: [String] = []
        while !fields.contains(""), let message = try await stream.next() { fields += message.map(\.field) }
        #expect(fields.contains(""), "a heartbeat comment")
        run.status = .done
        try await folder.store.updateRun(run, events: [folder.event(run.runId, "run_done")])
        hub.runUpdated(run.runId)
        let rest = try await stream.eventsUntilEnd()
        #expect(rest.map { $0["seq"]?.intValue } == [2] && rest.first?["type"] == "run_done")

        // A client that leaves a live stream is noticed at the next heartbeat, and its waiter removed.
        let waiting = try await folder.insertRun("r-left")
        do {
            let leaving = try await TestEventSource.connect(port: server.port, path: "/v1/runs/\(waiting.runId)/events")
            _ = try await leaving.next()
        }
        try await StreamTests.waitForNoWaiters(hub, waiting.runId)

        let unknown = try await TestEventSource.connect(port: server.port, path: "/v1/runs/nope/events")
        #expect(unknown.status == 404)
        let bad = try await TestEventSource.connect(port: server.port, path: "/v1/runs/r-live/events", headers: ["Last-Event-ID": "x"])
        #expect(bad.status == 400)
    }
}
