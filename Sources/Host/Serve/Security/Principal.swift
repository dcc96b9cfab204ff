import Hummingbird
import NIOCore

/// Who is calling: the API key's id and the capabilities it carries (`runs:start`, …), or the
/// anonymous principal of the `oss-default` profile.
public struct Principal: Sendable, Hashable {
    /// The API key's `id` from the key file, or ``anonymousId``.
    public var id: String
    /// Route capabilities this principal may use (see ``RouteCapabilities``).
    public var capabilities: Set<String>

    /// Creates a principal named `id` holding `capabilities`.
    public init(id: String, capabilities: Set<String>) {
        self.id = id
        self.capabilities = capabilities
    }

    /// The id of the anonymous principal; reserved, so no API key may use it.
    public static let anonymousId = "anonymous"

    /// The caller without a key in `oss-default`: every capability.
    public static let anonymous = Principal(id: anonymousId, capabilities: Set(RouteCapabilities.allCapabilities))

    /// `true` for the anonymous principal (the rate limiter then keys on the client address).
    public var isAnonymous: Bool { id == Self.anonymousId }

    /// Whether this principal may use a route that needs `capability`.
    public func holds(_ capability: String) -> Bool { capabilities.contains(capability) }
}

/// A request context that carries the authenticated ``Principal``; ``AuthMiddleware`` sets it
/// and ``RateLimitMiddleware`` reads it. The server's one request context conforms.
public protocol PrincipalCarrying: RequestContext {
    /// The caller, once ``AuthMiddleware`` identified it; `nil` before (or on routes it skips).
    var principal: Principal? { get set }
    /// The client's IP address (no port), which keys the rate limit of anonymous callers.
    /// Defaults to the `remoteAddress` of a `RemoteAddressRequestContext`, else `nil`.
    var clientAddress: String? { get }
}

extension PrincipalCarrying {
    public var clientAddress: String? { (self as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress }
}
