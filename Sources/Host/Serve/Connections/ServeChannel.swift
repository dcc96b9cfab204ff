import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// How long connections may take, set by `serve --header-timeout` and `--idle-timeout`.
public struct ConnectionTimeouts: Sendable {
    /// How long the first request head may take to arrive in full.
    public var header: Duration
    /// How long a keep-alive connection may stay without a request (and a later request head
    /// may stall) before it is closed.
    public var idle: Duration

    public init(header: Duration = .seconds(10), idle: Duration = .seconds(30)) {
        self.header = header
        self.idle = idle
    }
}

/// The server's child channel: Hummingbird's HTTP/1.1 channel with the WebSocket upgrade, plus
/// the connection hygiene a public server needs — header and idle timeouts
/// (``FirstRequestDeadline``, Hummingbird's idle handler), problem+json for requests the parser
/// refuses and the router's own problem for a refused upgrade instead of an empty 400
/// (``ConnectionProblemResponder``, ``UpgradeRefusals``).
struct ServeChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let upgradeChannel: HTTP1WebSocketUpgradeChannel
    let timeouts: ConnectionTimeouts
    let refusals: UpgradeRefusals

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        upgradeChannel.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(FirstRequestDeadline(timeout: TimeAmount(timeouts.header)), position: .first)
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(ConnectionProblemResponder(refusals: refusals), position: .after(decoder))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await upgradeChannel.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// The server's HTTP/1.1 + WebSocket channel (``ServeChannel``): upgrades decided by
    /// `webSocketRouter`, connections bounded by `timeouts`, refused upgrades answered with the
    /// problems recorded in `refusals`.
    static func serve(
        webSocketRouter: Router<StargraphRequestContext>, timeouts: ConnectionTimeouts, refusals: UpgradeRefusals
    ) -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        return HTTPServerBuilder { responder in
            ServeChannel(
                upgradeChannel: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder,
                    configuration: .init(http1: .init(idleTimeout: TimeAmount(timeouts.idle)))),
                timeouts: timeouts, refusals: refusals)
        }
    }
}
