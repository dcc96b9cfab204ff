import Hummingbird
import StargraphCore

/// An HTTP failure as an RFC 9457 problem document (`application/problem+json`): the one shape
/// every 4xx and 5xx answer of the server has. Throw it from a route or middleware; the router
/// (and ``ProblemMiddleware``) turn it into its ``response()``.
///
/// `type` is the stable URI of the problem's kind (``ProblemType``), which clients branch on;
/// `title` is that kind's fixed summary; `detail` says what went wrong for this request and what
/// to change. Never put stack traces or internals in it.
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

    /// A problem of the kind `type`, answered with its status and title; `detail` explains this
    /// occurrence and what to change.
    public init(_ type: ProblemType, detail: String, headers: HTTPFields = [:], extensions: [String: JSONValue] = [:]) {
        self.init(status: type.status, title: type.title, type: type.uri, detail: detail, headers: headers, extensions: extensions)
    }

    /// A problem of the generic kind of `status` (``ProblemType/generic(for:)``), or `about:blank`
    /// titled with the reason phrase for a status without one: for failures no specific kind names.
    public init(status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:], extensions: [String: JSONValue] = [:]) {
        if let generic = ProblemType.generic(for: status) {
            self.init(generic, detail: detail, headers: headers, extensions: extensions)
        } else {
            self.init(status: status, title: status.reasonPhrase, type: "about:blank", detail: detail, headers: headers, extensions: extensions)
        }
    }

    private init(
        status: HTTPResponse.Status, title: String, type: String, detail: String, headers: HTTPFields, extensions: [String: JSONValue]
    ) {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers
        self.extensions = extensions
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
