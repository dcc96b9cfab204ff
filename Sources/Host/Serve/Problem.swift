import Hummingbird

/// An HTTP failure as an RFC 9457 problem document (`application/problem+json`): the one shape
/// every 4xx and 5xx answer of the server has. Throw it from a route or middleware; the router
/// (and ``ProblemMiddleware``) turn it into its ``response()``.
///
/// `title` says what kind of problem it is (the status phrase for `about:blank`), `detail` what
/// went wrong for this request and what to change. Never put stack traces or internals in it.
public struct Problem: Error, Sendable, HTTPResponseError, CustomStringConvertible {
    public static let mediaType = "application/problem+json"

    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var type: String
    /// Extra headers sent with the problem (`Allow`, `Retry-After`, `RateLimit-*`, `WWW-Authenticate`).
    public var headers: HTTPFields
    /// RFC 9457 extension members (e.g. `run_status` for a refused transition).
    public var extensions: [String: JSONValue]

    /// A problem with `status`; `detail` explains this occurrence and what to change.
    public init(
        status: HTTPResponse.Status, title: String, detail: String, type: String = "about:blank",
        headers: HTTPFields = [:], extensions: [String: JSONValue] = [:]
    ) {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers
        self.extensions = extensions
    }

    /// A problem titled with the status's reason phrase (the RFC's rule for `about:blank`).
    public init(_ status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:], extensions: [String: JSONValue] = [:]) {
        self.init(status: status, title: status.reasonPhrase, detail: detail, headers: headers, extensions: extensions)
    }

    /// The problem document as JSON.
    public var json: JSONValue {
        var members = extensions
        members["type"] = .string(type)
        members["title"] = .string(title)
        members["status"] = .number(Double(status.code))
        members["detail"] = .string(detail)
        return .object(members)
    }

    /// The response: this status, `headers`, and the problem document as `application/problem+json`.
    public func response() -> Response {
        var fields = headers
        fields[.contentType] = Self.mediaType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: CanonicalJSON.bytes(json))))
    }

    /// ``response()``; lets Hummingbird answer a thrown `Problem` without extra mapping.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    public var description: String { "\(status.code) \(title): \(detail)" }
}
