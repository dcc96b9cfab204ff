import Foundation
import Hummingbird
import StargraphBroker

/// The broker's HTTP surface, under the route capability `tools:broker_request` in
/// the `cleared` profile: `POST /v1/broker/request`, `GET /v1/broker/sources` (metadata only)
/// and `GET /v1/broker/jwks.json` (the attestation public key). Without a broker every route
/// answers 503 naming the missing config.
struct BrokerRoutes: Sendable {
    typealias Context = StargraphRequestContext

    let broker: Broker?
    /// Where the config was looked for, for the 503 detail.
    let searchedPath: String

    /// Adds the routes to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.brokerRequest) { request, _ in
            let broker = try configured()
            let body = try await JSONMessages.body(of: request)
            do {
                let response = try await broker.handle(json: body, requestId: "breq-" + UUID().uuidString.lowercased(), origin: "http")
                return JSONMessages.response(response.json)
            } catch let error as BrokerRequestError {
                throw Problem(.invalidBrokerRequest, detail: "the broker request does not fit: \(error.message)")
            } catch {
                throw Problem(.auditWriteFailed, detail: "the broker could not write its audit log, so it withheld the response; check the audit path's disk and permissions")
            }
        }
        router.on(.listBrokerSources) { _, _ in JSONMessages.response(try configured().sourcesDocument) }
        router.on(.brokerJWKS) { _, _ in JSONMessages.response(try configured().jwks) }
    }

    private func configured() throws(Problem) -> Broker {
        guard let broker else {
            throw Problem(.brokerNotConfigured, detail: "no broker is configured (no nautilus config at \(searchedPath)); create it or pass --nautilus-config, then restart the server")
        }
        return broker
    }
}
