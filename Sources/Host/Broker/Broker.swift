import Foundation
import Logging
import StargraphCore
import StargraphAudit

/// The policy broker: decides by policy which sources an agent may query for a
/// purpose, queries the allowed ones concurrently (each within its timeout; one failing source
/// never sinks the response), signs the decision and audits every request, denials included.
public final class Broker: Sendable {
    /// The config the broker runs.
    public let policy: BrokerPolicy
    /// The attestation signer, `nil` when `attestation.enabled` is false.
    public let signer: BrokerSigner?
    private let audit: AuditLog

    /// Starts the broker for `policy`: loads the attestation key (creating it, mode 0600, with a
    /// log line, when the file does not exist) and opens the audit log.
    /// - Throws: ``BrokerConfigurationError/cannotStart(_:_:)`` naming the key file or audit log
    ///   that cannot be read or created.
    public init(policy: BrokerPolicy, logger: Logger) throws {
        self.policy = policy
        if policy.attestation.enabled {
            let (signer, created) = try BrokerSigner.loadOrCreate(path: policy.attestation.privateKeyPath)
            if created {
                logger.warning("broker attestation: no signing key at \(policy.attestation.privateKeyPath); generated a new Ed25519 key there (mode 0600, kid \(signer.keyId))")
            }
            self.signer = signer
        } else {
            signer = nil
        }
        do {
            audit = try AuditLog(path: policy.auditPath)
        } catch {
            throw BrokerConfigurationError.cannotStart("audit log \(policy.auditPath)", "\(error)")
        }
    }

    /// `GET /v1/broker/sources`: every source's metadata, no connection strings.
    public var sourcesDocument: JSONValue {
        ["sources": .array(policy.sources.map(\.metadata))]
    }

    /// `GET /v1/broker/jwks.json`: the attestation public key (an empty set without attestation).
    public var jwks: JSONValue {
        signer?.jwks ?? ["keys": []]
    }

    /// Checks an untrusted request body and answers it. `origin` says who asked (`http`, or
    /// `node:<run_id>/<node_id>`), for the audit log.
    /// - Throws: ``BrokerRequestError`` for a body that does not fit (audited as
    ///   `broker_request_invalid`); ``AuditLogError`` when the audit line cannot be written (the
    ///   response is then withheld).
    public func handle(json: JSONValue, requestId: String, issuedAt: Date = Date(), origin: String) async throws -> BrokerResponse {
        let request: BrokerRequest
        do {
            request = try BrokerRequest(json: json)
        } catch {
            try audit.append([[
                "event": "broker_request_invalid", "ts": .string(Timestamps.format(issuedAt)),
                "request_id": .string(requestId), "origin": .string(origin), "error": .string(error.message),
            ]])
            throw error
        }
        return try await handle(request, requestId: requestId, issuedAt: issuedAt, origin: origin)
    }

    /// Routes, queries, signs and audits one checked request.
    /// - Throws: ``AuditLogError`` when the audit line cannot be written (the response is withheld).
    public func handle(_ request: BrokerRequest, requestId: String, issuedAt: Date = Date(), origin: String) async throws -> BrokerResponse {
        let started = ContinuousClock.now
        let decision = BrokerRoutingDecision(request: request, policy: policy)
        let results = await query(decision.allowed, for: request)
        var data: [String: [JSONValue]] = [:]
        var errored: [BrokerResponse.SourceError] = []
        var queried: [String] = []
        for source in decision.allowed {
            switch results[source.id] {
            case .success(let rows)?:
                data[source.id] = rows
                queried.append(source.id)
            case .failure(let error)?:
                errored.append(BrokerResponse.SourceError(sourceId: source.id, error: "\(error)"))
            case nil:
                errored.append(BrokerResponse.SourceError(sourceId: source.id, error: "no result"))
            }
        }
        let denied = decision.denials.map(\.sourceId)
        let dataHash = ContentHash.sha256Hex(CanonicalJSON.bytes(.object(data.mapValues(JSONValue.array))))
        let claims: JSONValue = [
            "request_id": .string(requestId), "agent": .string(request.agentId), "purpose": .string(request.purpose),
            "sources_queried": .array(queried.map(JSONValue.string)), "sources_denied": .array(denied.map(JSONValue.string)),
            "data_sha256": .string(dataHash), "iat": .number(issuedAt.timeIntervalSince1970.rounded(.down)),
        ]
        let elapsed = ContinuousClock.now - started
        let response = BrokerResponse(
            requestId: requestId, data: data, sourcesQueried: queried, sourcesDenied: denied,
            sourcesSkipped: decision.skipped, sourcesErrored: errored, denialRecords: decision.denials,
            ruleTrace: decision.trace, attestationToken: try signer?.sign(claims),
            durationMs: (Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15).rounded())
        try audit.append([auditRecord(response, request: request, claims: claims, issuedAt: issuedAt, origin: origin)])
        return response
    }

    /// Every allowed source at once; each answers within its own timeout.
    private func query(_ sources: [BrokerSource], for request: BrokerRequest) async -> [String: Result<[JSONValue], any Error>] {
        await withTaskGroup(of: (String, Result<[JSONValue], any Error>).self) { group in
            for source in sources {
                group.addTask {
                    do { return (source.id, .success(try await BrokerSourceReader.rows(of: source, for: request))) } catch { return (source.id, .failure(error)) }
                }
            }
            var results: [String: Result<[JSONValue], any Error>] = [:]
            for await (id, result) in group { results[id] = result }
            return results
        }
    }

    private func auditRecord(_ response: BrokerResponse, request: BrokerRequest, claims: JSONValue, issuedAt: Date, origin: String) -> JSONValue {
        [
            "event": "broker_request", "ts": .string(Timestamps.format(issuedAt)), "origin": .string(origin),
            "request_id": .string(response.requestId), "request": request.json,
            "sources_queried": claims["sources_queried"] ?? [], "sources_denied": claims["sources_denied"] ?? [],
            "sources_skipped": .array(response.sourcesSkipped.map(JSONValue.string)),
            "sources_errored": response.json["sources_errored"] ?? [],
            "denial_records": response.json["denial_records"] ?? [],
            "rows": .object(response.data.mapValues { .number(Double($0.count)) }),
            "data_sha256": claims["data_sha256"] ?? .null,
            "attestation_sha256": response.attestationToken.map { .string(ContentHash.sha256Hex(Array($0.utf8))) } ?? .null,
        ]
    }
}
