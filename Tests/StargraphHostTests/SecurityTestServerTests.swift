import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import StargraphHost

@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
#if canImport(Glibc)
import Glibc
@testable import StargraphServe
#endif

// Support for the Security, Stream and Artifact suites (the file is named so because test files
// of these suites match `{Security,Stream,Artifact}*Tests.swift`): a real Hummingbird server on
// 127.0.0.1 with an ephemeral port, and tiny blocking HTTP/1.1 and WebSocket (RFC 6455) clients
// over POSIX sockets, run on their own threads so they never block the cooperative pool.

/// A Hummingbird server on 127.0.0.1:<ephemeral> serving `router`, with WebSocket upgrades
/// decided by `webSocketRouter` (the same router when `nil`).
final class TestServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    static func start(
        router: Router<StargraphRequestContext>, webSocketRouter: Router<StargraphRequestContext>? = nil
    ) async throws -> TestServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test-server")
        logger.logLevel = ProcessInfo.processInfo.environment["STREAM_TEST_DEBUG"] == nil ? .warning : .debug
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter ?? router),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestClientError("server did not start") }
        return TestServer(port: port, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

struct TestClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking socket work on a dedicated thread.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// A connected TCP socket with a receive timeout.
final class TestSocket: @unchecked Sendable {
    // @unchecked: used by one thread at a time (each test drives its socket sequentially).
    let descriptor: Int32
    private var buffer: [UInt8] = []

    init(port: Int, receiveBuffer: Int? = nil, timeoutSeconds: Int = 10) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError("socket() failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(descriptor); throw TestClientError("connect to port \(port) failed") }
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestClientError("send failed") }
            offset += sent
        }
    }

    /// Reads more bytes into the buffer; `false` at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw TestClientError("receive timed out or failed (errno \(errno))") }
        if count == 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    func read(exactly count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TestClientError("connection closed after \(buffer.count) of \(count) bytes") }
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Reads up to and including the blank line ending an HTTP head.
    func readHead() throws -> String {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let range = firstRange(of: end) {
                let head = Array(buffer[0..<range])
                buffer.removeFirst(range + end.count)
                return String(decoding: head, as: UTF8.self)
            }
            guard try fill() else { throw TestClientError("connection closed inside an HTTP head") }
        }
    }

    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    private func firstRange(of needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for start in 0...(buffer.count - needle.count) where Array(buffer[start..<start + needle.count]) == needle {
            return start
        }
        return nil
    }
}

/// One HTTP response, parsed.
struct TestHTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue? { try? JSONParser.parse(text) }
    func header(_ name: String) -> String? { headers[name.lowercased()] }

    static func parseHead(_ head: String) -> (Int, [String: String]) {
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers)
    }
}

/// Sends one request with `Connection: close` and reads the whole response.
func httpRequest(
    port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []
) async throws -> TestHTTPResponse {
    try await onThread {
        let socket = try TestSocket(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        try socket.send(Array((head + "\r\n").utf8) + body)
        let (status, fields) = TestHTTPResponse.parseHead(try socket.readHead())
        return TestHTTPResponse(status: status, headers: fields, body: try socket.readToEnd())
    }
}

/// A minimal RFC 6455 client: handshake, read text/close frames, send a masked close.
final class TestWebSocket: Sendable {
    enum Message: Sendable, Equatable {
        case text(String)
        case close(code: Int, reason: String)
    }

    private let socket: TestSocket
    /// The handshake response status (101 when upgraded).
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    private init(socket: TestSocket, status: Int, headers: [String: String], body: [UInt8]) {
        self.socket = socket
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func connect(
        port: Int, path: String, headers: [String: String] = [:], receiveBuffer: Int? = nil
    ) async throws -> TestWebSocket {
        try await onThread {
            let socket = try TestSocket(port: port, receiveBuffer: receiveBuffer)
            var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            head += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            try socket.send(Array((head + "\r\n").utf8))
            let (status, fields) = TestHTTPResponse.parseHead(try socket.readHead())
            var body: [UInt8] = []
            if status != 101, let length = fields["content-length"].flatMap(Int.init) {
                body = try socket.read(exactly: length)
            }
            return TestWebSocket(socket: socket, status: status, headers: fields, body: body)
        }
    }

    /// The next text or close message (pings are skipped).
    func receive() async throws -> Message {
        try await onThread { [socket] in
            while true {
                let header = try socket.read(exactly: 2)
                let opcode = header[0] & 0x0F
                var length = Int(header[1] & 0x7F)
                if length == 126 {
                    length = try socket.read(exactly: 2).reduce(0) { $0 << 8 | Int($1) }
                } else if length == 127 {
                    length = try socket.read(exactly: 8).reduce(0) { $0 << 8 | Int($1) }
                }
                let payload = try socket.read(exactly: length)
                switch opcode {
                case 0x1: return .text(String(decoding: payload, as: UTF8.self))
                case 0x8:
                    let code = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 1005
                    return .close(code: code, reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
                default: continue
                }
            }
        }
    }

    /// Reads messages until a close frame; returns the text frames as JSON and the close frame.
    func receiveAll() async throws -> (events: [JSONValue], close: Message) {
        var events: [JSONValue] = []
        while true {
            let message = try await receive()
            switch message {
            case .text(let text): events.append(try JSONParser.parse(text))
            case .close:
                try? await close()  // the client's half of the closing handshake
                return (events, message)
            }
        }
    }

    /// Sends a masked close frame (code 1000).
    func close() async throws {
        try await onThread { [socket] in
            let mask: [UInt8] = [1, 2, 3, 4]
            let payload: [UInt8] = [0x03, 0xE8]
            try socket.send([0x88, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        }
    }
}

/// A fresh temporary folder with a store in it.
struct TestStoreFolder {
    let directory: URL
    let store: SQLiteRunStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteRunStore(path: directory.appendingPathComponent("runs.sqlite").path)
    }

    /// Inserts a running run `runId` with `eventCount` events (`run_created` then `step`s).
    func insertRun(_ runId: String, eventCount: Int = 1) async throws -> RunRecord {
        let now = Date()
        let run = RunRecord(
            runId: runId, graphId: "g", graphHash: "sha256:0", graphSource: "", graphOrigin: "test",
            status: .running, inputs: [:], state: [:], maxSteps: 100, createdAt: now, updatedAt: now)
        try await store.insertRun(run, events: [event(runId, "run_created")] + (1..<max(1, eventCount)).map { _ in event(runId, "step") })
        return run
    }

    func event(_ runId: String, _ type: String, step: Int? = nil) -> EventRecord {
        EventRecord(runId: runId, seq: 0, step: step, type: type, ts: Date(), payload: ["n": 1])
    }
}
