import Foundation
import Hummingbird
import NIOCore
import StargraphCore

/// Reading JSON request bodies and writing JSON responses, the same way on every route: bodies
/// are size-limited (413), must be declared JSON (415) and must parse (400); responses are
/// compact JSON with sorted keys (no pretty printing on the request path).
enum JSONMessages {
    static let mediaType = "application/json"

    /// The request's body as JSON. Throws a ``Problem``: 415 when the `Content-Type` is not JSON,
    /// 413 when the body is larger than `limit` bytes, 400 when it is empty or not valid JSON.
    static func body(of request: Request, limit: Int = StargraphRequestContext.maximumBodySize) async throws(Problem) -> JSONValue {
        guard isJSON(request.headers[.contentType]) else {
            let given = request.headers[.contentType].map { "'\($0)'" } ?? "no Content-Type"
            throw Problem(.unsupportedMediaType, detail: "this route takes a JSON body; send it with Content-Type: application/json (got \(given))")
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw tooLarge(limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        } catch {
            throw Problem(.invalidJSON, detail: "the request body could not be read completely: \(error)")
        }
        guard buffer.readableBytes > 0 else {
            throw Problem(.invalidJSON, detail: "the request body is empty; send a JSON object")
        }
        do {
            return try JSONParser.parse(bytes: Array(buffer.readableBytesView))
        } catch {
            throw Problem(.invalidJSON, detail: "the request body is not valid JSON: \(error.description)")
        }
    }

    /// A `200` (or `status`) response carrying `value` as compact JSON.
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        response(bytes: CanonicalJSON.bytes(value), status: status, headers: headers)
    }

    /// A response carrying already-encoded JSON `bytes` (documents built once at start).
    static func response(bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = mediaType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `application/json`, or any `application/…+json`, with or without parameters.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        if contentType == mediaType { return true }  // the usual header, without parsing
        let essence = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return essence == mediaType || (essence.hasPrefix("application/") && essence.hasSuffix("+json"))
    }

    private static func tooLarge(_ limit: Int) -> Problem {
        Problem(.bodyTooLarge, detail: "the request body is larger than \(limit) bytes; send a smaller body")
    }
}
