import NIOCore
import NIOHTTP1
import StargraphCore

/// Answers in problem+json where Hummingbird and NIO would send an empty 400.
///
/// A request the HTTP parser refuses (two `Content-Length`s, `Content-Length` with
/// `Transfer-Encoding`, bare LF line ends, an unknown method, bytes that are not HTTP) with a
/// problem+json response, where NIO's own handler would send an empty 400: 501 for a method the
/// parser does not know, 431 for a head over the size limits, 400 otherwise; then the connection
/// is closed, as the parser cannot find the next request's start. And a refused WebSocket upgrade, which Hummingbird answers with an
/// empty 400, gets the problem the router answered it with (a 401 for a missing API key), taken
/// from ``UpgradeRefusals``.
///
/// It sits right after the request decoder. Reads pass through untouched (after a WebSocket
/// upgrade they are frames, not HTTP parts); it removes itself when the upgrade's
/// `101 Switching Protocols` goes out.
final class ConnectionProblemResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let refusals: UpgradeRefusals
    /// Whether a response has begun and not ended: then no error response can be written.
    private var responseInProgress = false
    /// A refused upgrade's empty 400 is being replaced: its own body and end are dropped.
    private var replacingRefusal = false

    init(refusals: UpgradeRefusals) {
        self.refusals = refusals
    }

    func channelInactive(context: ChannelHandlerContext) {
        _ = refusals.take(for: context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !responseInProgress {
            write(Self.problem(for: parserError), context: context, promise: nil)
            responseInProgress = true
        }
        context.fireErrorCaught(error)
        if error is HTTPParserError { context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status == .switchingProtocols:
            context.write(data, promise: promise)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        case .head(let head) where head.status.code < 200:
            break
        case .head(let head):
            responseInProgress = true
            if head.status == .badRequest, head.headers["Content-Length"] == ["0"],
               let refusal = refusals.take(for: context.channel) {
                replacingRefusal = true
                return write(refusal, context: context, promise: promise, end: false)
            }
        case .body where replacingRefusal:
            promise?.succeed()
            return
        case .body:
            break
        case .end:
            responseInProgress = false
            replacingRefusal = false
        }
        context.write(data, promise: promise)
    }

    /// Writes `problem` as a whole response (`Connection: close`); without `end`, the caller's
    /// own end part finishes it.
    private func write(_ problem: Problem, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?, end: Bool = true) {
        let body = CanonicalJSON.bytes(problem.json)
        var headers = HTTPHeaders(problem.headers.map { ($0.name.rawName, $0.value) })
        headers.replaceOrAdd(name: "Content-Type", value: Problem.mediaType)
        headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
        headers.replaceOrAdd(name: "Connection", value: "close")
        let status = HTTPResponseStatus(statusCode: problem.status.code, reasonPhrase: problem.status.reasonPhrase)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: end ? nil : promise)
        if end { context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise) }
    }

    private static func problem(for error: HTTPParserError) -> Problem {
        switch error {
        case .invalidMethod:
            Problem(.methodNotImplemented, detail: "the request method is not one HTTP defines; use GET, POST, DELETE, HEAD or OPTIONS")
        case .headerOverflow:
            Problem(.headersTooLarge, detail: "the request head is larger than the server accepts; send fewer or smaller headers")
        default:
            Problem(.malformedRequest, detail: "the request is not valid HTTP/1.1 (\(error)); the connection is closed")
        }
    }
}
