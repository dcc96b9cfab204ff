import Logging
import Synchronization
import Testing

@testable import StargraphHost

/// A text stream that keeps what was written, for reading back the formatted log lines.
private final class CapturedLines: TextOutputStream, Sendable {
    private let text = Mutex("")
    var lines: [String] { text.withLock { $0.split(separator: "\n").map(String.init) } }
    func write(_ string: String) { text.withLock { $0 += string } }
}

@Suite("Logging: metadata formatted only when a line is written")
struct LazyMetadataLogHandlerTests {
    private func logger(_ captured: CapturedLines) -> Logger {
        Logger(label: "test") { label in
            var handler = LazyMetadataLogHandler(StreamLogHandler(label: label, stream: captured, metadataProvider: nil))
            handler.logLevel = .info
            return handler
        }
    }

    @Test func writesTheLoggersMetadataWithTheMessagesOwn() {
        let captured = CapturedLines()
        var logger = logger(captured)
        logger[metadataKey: "hb.request.id"] = "42"
        logger[metadataKey: "shared"] = "logger"
        logger.info("refused", metadata: ["shared": "message", "run_id": "run-1"])
        #expect(captured.lines.count == 1)
        let line = captured.lines.first ?? ""
        #expect(line.contains("hb.request.id=42"))
        #expect(line.contains("run_id=run-1"))
        // A message's own value wins over the logger's for the same key.
        #expect(line.contains("shared=message"))
        #expect(!line.contains("shared=logger"))
        #expect(line.hasSuffix("refused"))
    }

    @Test func keepsTheLevelAndDropsLinesBelowIt() {
        let captured = CapturedLines()
        var logger = logger(captured)
        logger[metadataKey: "k"] = "v"
        logger.debug("hidden")
        logger.logLevel = .debug
        logger.debug("shown")
        #expect(captured.lines.count == 1)
        #expect(captured.lines.first?.contains("k=v") == true)
        #expect(logger[metadataKey: "k"] == "v")
    }
}
