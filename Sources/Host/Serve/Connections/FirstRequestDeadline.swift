import NIOCore
import StargraphCore

/// Closes a connection whose first request head has not arrived in full within `timeout`: an
/// idle or half-sent connection (slowloris) holds no socket for long.
///
/// It sits at the front of the pipeline and sees raw bytes. Once it has seen the blank line that
/// ends a request head it removes itself; from then on Hummingbird's connection state handler
/// times out idle keep-alive connections and heads that stall. A connection that sent part of a
/// request gets `408 Request Timeout` (problem+json) before the close; one that sent nothing is
/// closed silently, as a client's pooled connection expects.
final class FirstRequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var receivedBytes = false
    /// The last bytes read, so a head's end split over two reads is still found.
    private var carry: [UInt8] = []

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { schedule(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        schedule(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        receivedBytes = receivedBytes || buffer.readableBytes > 0
        let seen = carry + buffer.readableBytesView
        let headEnded = Self.containsHeadEnd(seen)
        carry = Array(seen.suffix(3))
        context.fireChannelRead(data)
        if headEnded { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    private func schedule(_ context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            deadline = nil
            if receivedBytes {
                context.writeAndFlush(wrapInboundOut(Self.timeoutResponse(after: timeout)), promise: nil)
            }
            context.close(promise: nil)
        }
    }

    /// Whether `bytes` hold `CRLF CRLF` (or the bare-LF `LF LF` the parser then refuses).
    private static func containsHeadEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2 else { return false }
        for index in 1..<bytes.count where bytes[index] == 0x0A {
            if bytes[index - 1] == 0x0A { return true }
            if index >= 3, bytes[index - 1] == 0x0D, bytes[index - 2] == 0x0A, bytes[index - 3] == 0x0D { return true }
        }
        return false
    }

    private static func timeoutResponse(after timeout: TimeAmount) -> ByteBuffer {
        let seconds = Double(timeout.nanoseconds) / 1e9
        let problem = Problem(
            .requestTimeout, detail: "the request head did not arrive within \(seconds) s (--header-timeout); send it at once")
        let body = CanonicalJSON.bytes(problem.json)
        let head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: \(Problem.mediaType)\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return ByteBuffer(bytes: Array(head.utf8) + body)
    }
}
