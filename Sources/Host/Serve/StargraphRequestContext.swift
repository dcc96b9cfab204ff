import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The one request context of the server: Hummingbird's core storage, the WebSocket upgrade
/// hand-off, and the principal the auth middleware found for the request.
public struct StargraphRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext, PrincipalCarrying {
    /// Request bodies above this size are refused with 413 (JSON bodies are read with this limit).
    public static let maximumBodySize = 1 << 20

    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// Who is calling: set by the auth middleware on `/v1` routes (`nil` before it ran).
    public var principal: Principal?
    /// The connection the request arrived on.
    let channel: any Channel

    /// Creates the context for one request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        webSocket = WebSocketHandlerReference()
        channel = source.channel
    }

    public var maxUploadSize: Int { Self.maximumBodySize }

    /// The client's address, for rate limiting anonymous callers.
    public var remoteAddress: SocketAddress? { channel.remoteAddress }
}
