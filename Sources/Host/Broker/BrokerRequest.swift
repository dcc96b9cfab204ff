import StargraphCore
/// One data request to the broker: `{agent_id, intent, context: {purpose, data_types?}}`.
///
/// Other `context` members are accepted and ignored; in particular a `clearance` there is never
/// trusted (an agent's clearance comes from the config only).
public struct BrokerRequest: Sendable, Hashable {
    public static let maxAgentIdLength = 256
    public static let maxIntentLength = 4096
    public static let maxPurposeLength = 256
    public static let maxDataTypes = 64
    public static let maxDataTypeLength = 128

    public var agentId: String
    public var intent: String
    public var purpose: String
    /// Data types asked for explicitly; `nil` lets `intent_map` choose them from the intent.
    public var dataTypes: [String]?

    /// A request; check untrusted input with ``init(json:)`` instead.
    public init(agentId: String, intent: String, purpose: String, dataTypes: [String]? = nil) {
        self.agentId = agentId
        self.intent = intent
        self.purpose = purpose
        self.dataTypes = dataTypes
    }

    /// Reads and checks a request body.
    /// - Throws: ``BrokerRequestError`` naming the member that is missing, of the wrong type,
    ///   empty, too long, or unknown (at the top level).
    public init(json: JSONValue) throws(BrokerRequestError) {
        guard let members = json.objectValue else { throw BrokerRequestError("the request must be a JSON object, not \(json.typeName)") }
        let unknown = Set(members.keys).subtracting(["agent_id", "intent", "context"]).sorted()
        guard unknown.isEmpty else {
            throw BrokerRequestError("unknown member(s) \(unknown.joined(separator: ", ")); a request has agent_id, intent and context")
        }
        agentId = try Self.text(members["agent_id"], "agent_id", limit: Self.maxAgentIdLength)
        intent = try Self.text(members["intent"], "intent", limit: Self.maxIntentLength)
        guard let context = members["context"]?.objectValue else {
            throw BrokerRequestError("context must be an object with at least purpose, not \(members["context"]?.typeName ?? "missing")")
        }
        purpose = try Self.text(context["purpose"], "context.purpose", limit: Self.maxPurposeLength)
        switch context["data_types"] {
        case nil, .null?:
            dataTypes = nil
        case .array(let items)?:
            guard items.count <= Self.maxDataTypes else {
                throw BrokerRequestError("context.data_types lists \(items.count) entries; at most \(Self.maxDataTypes) are allowed")
            }
            dataTypes = try items.map { item throws(BrokerRequestError) in
                try Self.text(item, "each entry of context.data_types", limit: Self.maxDataTypeLength)
            }
        case let other?:
            throw BrokerRequestError("context.data_types must be a list of strings, not \(other.typeName)")
        }
    }

    private static func text(_ value: JSONValue?, _ name: String, limit: Int) throws(BrokerRequestError) -> String {
        guard case .string(let text)? = value, !text.isEmpty else {
            throw BrokerRequestError("\(name) must be a non-empty string, not \(value.map { $0 == .string("") ? "an empty string" : $0.typeName } ?? "missing")")
        }
        guard text.unicodeScalars.count <= limit else {
            throw BrokerRequestError("\(name) is \(text.unicodeScalars.count) characters long; at most \(limit) are allowed")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) else {
            throw BrokerRequestError("\(name) contains control characters; send plain text")
        }
        return text
    }

    /// The request as JSON (for the audit log).
    package var json: JSONValue {
        var context: [String: JSONValue] = ["purpose": .string(purpose)]
        if let dataTypes { context["data_types"] = .array(dataTypes.map(JSONValue.string)) }
        return ["agent_id": .string(agentId), "intent": .string(intent), "context": .object(context)]
    }
}

/// A broker request that does not fit the format; `message` says which member and what to send.
public struct BrokerRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The broker's answer to one request.
public struct BrokerResponse: Sendable, Hashable {
    /// Why a source was not queried.
    public struct Denial: Sendable, Hashable {
        public var sourceId: String
        /// `unknown-agent`, `clearance`, `agent-purpose` or `source-purpose`.
        public var rule: String
        public var reason: String
    }

    /// A source that was queried and failed (missing file, timeout, HTTP error…).
    public struct SourceError: Sendable, Hashable {
        public var sourceId: String
        public var error: String
    }

    public var requestId: String
    /// Rows per source that answered.
    public var data: [String: [JSONValue]]
    /// Sources that answered (each configured source is in exactly one of queried, denied,
    /// skipped and errored).
    public var sourcesQueried: [String]
    public var sourcesDenied: [String]
    /// Sources none of whose data types were requested.
    public var sourcesSkipped: [String]
    public var sourcesErrored: [SourceError]
    public var denialRecords: [Denial]
    /// One line per routing step, for humans.
    public var ruleTrace: [String]
    /// Compact JWS over the decision, `nil` when attestation is disabled.
    public var attestationToken: String?
    public var durationMs: Double

    /// The response body: exactly these members, in the API's snake_case.
    public var json: JSONValue {
        [
            "request_id": .string(requestId),
            "data": .object(data.mapValues(JSONValue.array)),
            "sources_queried": .array(sourcesQueried.map(JSONValue.string)),
            "sources_denied": .array(sourcesDenied.map(JSONValue.string)),
            "sources_skipped": .array(sourcesSkipped.map(JSONValue.string)),
            "sources_errored": .array(sourcesErrored.map { ["source_id": .string($0.sourceId), "error": .string($0.error)] }),
            "denial_records": .array(denialRecords.map {
                ["source_id": .string($0.sourceId), "rule": .string($0.rule), "reason": .string($0.reason)]
            }),
            "rule_trace": .array(ruleTrace.map(JSONValue.string)),
            "attestation_token": attestationToken.map(JSONValue.string) ?? .null,
            "duration_ms": .number(durationMs),
        ]
    }
}
