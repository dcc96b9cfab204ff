import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Identifies the caller and enforces the route capabilities of ``RouteCapabilities``.
///
/// Sets `context.principal` on every request it lets through:
/// - `oss-default`: the key's principal when a valid key is presented (so rate limits and logs
///   name it; it still gets every capability), else ``Principal/anonymous``. Never refuses.
/// - `cleared`: on `/v1/…` and `/metrics`, a key (`Authorization: Bearer KEY` or
///   `X-Api-Key: KEY`) is required — missing or unknown → 401 with `WWW-Authenticate`; a key
///   without the route's capability → 403. Both are problem+json. Other paths (`/health`,
///   `/openapi.json`) pass anonymously with no capability.
///
/// Add it to the router before every route (and before ``RateLimitMiddleware``), so it also
/// wraps the not-found responder: an unknown `/v1` path answers 401 to a caller without a key.
public struct AuthMiddleware<Context: PrincipalCarrying>: RouterMiddleware {
    private let profile: ServeProfile
    private let keys: APIKeyStore?
    private let audit: RequestAudit?

    /// Creates the middleware for `profile`; `keys` may be `nil` only in `oss-default`
    /// (in `cleared` a `nil` store refuses every key — ``ServeProfile/validate(auditLogPath:auditSigningKeyPath:apiKeys:plugins:)``
    /// stops such a boot first). With `audit`, mutating and refused requests are recorded there
    /// with their principal.
    init(profile: ServeProfile, keys: APIKeyStore?, audit: RequestAudit? = nil) {
        self.profile = profile
        self.keys = keys
        self.audit = audit
    }

    /// Authenticates `request`, then calls `next` with the principal set, or answers 401/403.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let presented = Self.presentedSecret(request.headers)
        let key = presented.flatMap { keys?.key(forSecret: $0) }
        switch profile {
        case .ossDefault:
            context.principal = key.map { Principal(id: $0.id, capabilities: Principal.anonymous.capabilities) } ?? .anonymous
            return try await audited(request, principal: context.principal?.id ?? Principal.anonymousId) { try await next(request, context) }
        case .cleared:
            let path = request.uri.path
            guard RouteCapabilities.requiresAuthentication(path: path) else {
                context.principal = Principal(id: Principal.anonymousId, capabilities: [])
                return try await next(request, context)
            }
            guard let key else {
                let detail = presented == nil
                    ? "\(request.method.rawValue) \(path) needs an API key: send `Authorization: Bearer KEY` or `X-Api-Key: KEY`"
                    : "the API key presented is not known to this server; check the key, or ask for one in the server's key file"
                await audit?.record(request, principal: presented == nil ? Principal.anonymousId : "unknown", status: .unauthorized, location: nil)
                throw Problem(.unauthorized, detail: detail, headers: [.wwwAuthenticate: #"Bearer realm="stargraph""#])
            }
            let principal = Principal(id: key.id, capabilities: key.capabilities)
            if let capability = RouteCapabilities.capability(method: request.method, path: path), !principal.holds(capability) {
                context.logger.info("request refused: capability missing", metadata: [
                    "principal": "\(key.id)", "capability": "\(capability)", "route": "\(request.method.rawValue) \(path)",
                ])
                await audit?.record(request, principal: key.id, status: .forbidden, location: nil)
                throw Problem(
                    .forbidden,
                    detail: "API key '\(key.id)' lacks the capability '\(capability)' that \(request.method.rawValue) \(path) needs; "
                        + "add it to the key's capabilities in the key file")
            }
            context.principal = principal
            return try await audited(request, principal: key.id) { try await next(request, context) }
        }
    }

    /// The answer of `respond`, recorded in the audit log (a thrown problem with its status).
    private func audited(_ request: Request, principal: String, _ respond: () async throws -> Response) async throws -> Response {
        guard let audit else { return try await respond() }
        do {
            let response = try await respond()
            await audit.record(request, principal: principal, status: response.status, location: response.headers[.location])
            return response
        } catch {
            await audit.record(request, principal: principal, status: (error as? any HTTPResponseError)?.status ?? .internalServerError, location: nil)
            throw error
        }
    }

    /// The secret from `Authorization: Bearer …` (scheme case-insensitive) or `X-Api-Key`.
    static func presentedSecret(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                if !token.isEmpty { return token }
            }
        }
        if let key = headers[apiKeyField]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { return key }
        return nil
    }

    static var apiKeyField: HTTPField.Name { HTTPField.Name("X-Api-Key")! }
}
