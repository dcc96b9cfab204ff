import Foundation
import StargraphCore

/// A validated `nautilus.yaml`: the sources the broker may query, the agents that may
/// ask, the ordered clearance levels, how intents map to data types, attestation and audit.
/// Built by ``BrokerPolicyDecoder``; relative paths are already resolved against the config's folder.
public struct BrokerPolicy: Sendable {
    /// The config file this policy was read from.
    public var sourceFile: String
    /// The config format version (`1`).
    public var version: String
    /// Clearance levels, lowest first; an agent may see a source whose classification is at or
    /// below its clearance.
    public var clearanceLevels: [String]
    /// Every source, in config order.
    public var sources: [BrokerSource]
    /// Every agent, in config order.
    public var agents: [BrokerAgent]
    /// Intent globs and the data types they select, in config order.
    public var intentMap: [IntentRule]
    /// Hosts (besides loopback) that `rest` sources may reach.
    public var allowedHosts: [String]
    /// Whether routing decisions are signed, and with which key file.
    public var attestation: AttestationSettings
    /// Where the broker's hash-chained JSONL audit log is written.
    public var auditPath: String

    /// The agent with `id`, if configured.
    public func agent(_ id: String) -> BrokerAgent? { agents.first { $0.id == id } }

    /// The rank of clearance `level` (0 = lowest), or `nil` for an unknown level.
    public func rank(of level: String) -> Int? { clearanceLevels.firstIndex(of: level) }
}

/// One `intent_map` entry: an intent matching `glob` (case-insensitive `*`/`?` wildcards)
/// requests `dataTypes`.
public struct IntentRule: Sendable, Hashable {
    public var glob: String
    public var dataTypes: [String]
}

/// `attestation:` — when `enabled`, each response carries an Ed25519 JWS signed with the key in
/// `privateKeyPath` (generated on first start when the file does not exist).
public struct AttestationSettings: Sendable, Hashable {
    public var enabled: Bool
    public var privateKeyPath: String
}

/// One `agents:` entry: who may ask, at which clearance, for which purposes.
public struct BrokerAgent: Sendable, Hashable {
    public var id: String
    public var clearance: String
    public var allowedPurposes: [String]
}

/// One `sources:` entry. ``metadata`` is what clients may see (never connections or queries).
public struct BrokerSource: Sendable, Hashable {
    /// How the source is read.
    public enum Kind: Sendable, Hashable {
        /// Rows written in the config.
        case staticRows([JSONValue])
        /// A SQLite file opened read-only, read with a fixed statement.
        case sqlite(databasePath: String, read: SQLiteRead)
        /// An HTTP GET to `url` (loopback or an allowed host).
        case rest(url: URL)
    }

    /// What a `sqlite` source runs: every row of `table`, or the configured `query` (which may
    /// use the bound parameters `:agent_id`, `:purpose` and `:intent`).
    public enum SQLiteRead: Sendable, Hashable {
        case table(String)
        case query(String)
    }

    public var id: String
    public var kind: Kind
    public var description: String
    public var classification: String
    public var dataTypes: [String]
    public var allowedPurposes: [String]
    /// Seconds a query may take before the source counts as errored.
    public var timeoutSeconds: Double
    /// At most this many rows are returned.
    public var maxRows: Int

    /// `static`, `sqlite` or `rest`.
    public var typeName: String {
        switch kind {
        case .staticRows: "static"
        case .sqlite: "sqlite"
        case .rest: "rest"
        }
    }

    /// What `GET /v1/broker/sources` and `stargraph broker check` show: no connection strings,
    /// paths, URLs or queries.
    public var metadata: JSONValue {
        [
            "id": .string(id), "type": .string(typeName), "description": .string(description),
            "classification": .string(classification),
            "data_types": .array(dataTypes.map(JSONValue.string)),
            "allowed_purposes": .array(allowedPurposes.map(JSONValue.string)),
            "timeout_s": .number(timeoutSeconds), "max_rows": .number(Double(maxRows)),
        ]
    }
}
