import StargraphCore
/// A loaded plugin as listings show it (`stargraph plugins`, `GET /v1/plugins`).
public struct PluginInfo: Sendable {
    /// One node kind the plugin registered.
    public struct Kind: Sendable {
        /// `<plugin>.<kind>`, as graphs write it.
        public var name: String
        public var sideEffecting: Bool
        public var serial: Bool
    }

    public var name: String
    public var version: String
    /// `major.minor` of the ABI the plugin was built against.
    public var abiVersion: String
    /// Lowercase hex SHA-256 of the library file (what a manifest pins).
    public var sha256: String
    /// The library file loaded.
    public var file: String
    public var kinds: [Kind]
    /// Ids of the graphs the plugin ships.
    public var graphIds: [String]

    /// The listing as JSON: `{name, version, abi_version, sha256, file, node_kinds, graphs}`.
    public var json: JSONValue {
        .object([
            "name": .string(name), "version": .string(version), "abi_version": .string(abiVersion),
            "sha256": .string(sha256), "file": .string(file),
            "node_kinds": .array(kinds.map { kind in
                .object([
                    "name": .string(kind.name), "side_effecting": .bool(kind.sideEffecting),
                    "threading": .string(kind.serial ? "serial" : "thread_safe"),
                ])
            }),
            "graphs": .array(graphIds.map(JSONValue.string)),
        ])
    }
}
