import AsyncHTTPClient
import Foundation
import NIOCore
import StargraphCore

/// Reads `rest` sources over HTTP with AsyncHTTPClient (SwiftNIO), so the host never loads
/// Foundation's URLSession stack and libcurl. Request data reaches the source only as query
/// items; the host was checked against loopback and `allowed_hosts` when the config was read,
/// and redirects are never followed, so a source cannot bounce the broker to another host.
package enum BrokerHTTPClient {
    /// The largest answer read from a `rest` source; a longer one fails that source.
    package static let maxResponseBytes = 16 * 1024 * 1024

    /// One client for the whole process, created on the first `rest` read and, like
    /// `HTTPClient.shared`, never shut down: a global is never deinitialised, it runs on NIO's
    /// shared event loops (which Hummingbird uses too), and its pooled connections close after
    /// 60 s idle. `HTTPClient.shared` itself cannot be used: its configuration follows redirects.
    package static let client = HTTPClient(eventLoopGroup: .singletonMultiThreadedEventLoopGroup, configuration: configuration)

    /// Redirects refused (a 3xx is returned as is and fails the source). The connect timeout is
    /// the longest `timeout_s` a source may set, so each request's deadline — its source's own
    /// timeout — is what bounds it. A refused connection fails at once rather than being retried
    /// until that deadline, so a source that is down does not hold the response.
    private static var configuration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(300)), decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    /// `GET url?agent_id=…&purpose=…&intent=…` within `timeoutSeconds`, expecting a JSON array of
    /// row objects or `{"rows": [...]}`; at most `maxRows` rows are returned.
    /// - Throws: ``BrokerSourceReader/Failure`` for a failed call, a status outside 2xx (a
    ///   redirect included), an answer over ``maxResponseBytes``, an answer that is not rows, or
    ///   a timeout. The message names no URL.
    package static func rows(url: URL, request: BrokerRequest, timeoutSeconds: Double, maxRows: Int) async throws -> [JSONValue] {
        var call = HTTPClientRequest(url: target(url, request))
        call.headers.add(name: "Accept", value: "application/json")
        let body: ByteBuffer
        do {
            let deadline = NIODeadline.now() + .nanoseconds(Int64((timeoutSeconds * 1e9).rounded(.up)))
            let response = try await client.execute(call, deadline: deadline)
            guard (200..<300).contains(response.status.code) else {
                throw BrokerSourceReader.Failure("the source answered HTTP \(response.status.code)")
            }
            body = try await response.body.collect(upTo: maxResponseBytes)
        } catch let failure as BrokerSourceReader.Failure {
            throw failure
        } catch is NIOTooManyBytesError {
            throw BrokerSourceReader.Failure("the source's answer is over \(maxResponseBytes / (1024 * 1024)) MiB; have it return fewer or smaller rows")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw BrokerSourceReader.Failure.timedOut(after: timeoutSeconds)
        } catch {
            throw BrokerSourceReader.Failure("the HTTP request failed (\(describe(error)))")
        }
        let document: JSONValue
        do { document = try JSONParser.parse(bytes: Array(body.readableBytesView)) } catch {
            throw BrokerSourceReader.Failure("the source's answer is not JSON (\(error.message))")
        }
        guard let rows = document.arrayValue ?? document["rows"]?.arrayValue, rows.allSatisfy({ $0.objectValue != nil }) else {
            throw BrokerSourceReader.Failure("the source's answer must be a JSON array of row objects, or {\"rows\": [...]}")
        }
        return Array(rows.prefix(maxRows))
    }

    /// `url` with the request's values as its query, each percent-encoded except RFC 3986's
    /// unreserved characters (so `&`, `=`, `+`, `/` and `?` in a value stay data).
    private static func target(_ url: URL, _ request: BrokerRequest) -> String {
        let query = [("agent_id", request.agentId), ("purpose", request.purpose), ("intent", request.intent)]
            .map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" }
            .joined(separator: "&")
        return url.absoluteString + "?" + query
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// What went wrong, without the URL or address some NIO errors carry.
    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError: error.shortDescription
        case let error as IOError: "\(String(cString: strerror(error.errnoCode))), errno \(error.errnoCode)"
        default: "\(type(of: error))"
        }
    }
}
