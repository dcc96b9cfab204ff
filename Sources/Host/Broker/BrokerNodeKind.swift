/// The built-in `broker` node kind while no broker runs in this host: graphs that use it load
/// and start, and a run fails at the broker node with a clear `error_class` instead of the host
/// failing at boot (DESIGN §8, broker soft-fail).
public struct BrokerNodeKind: NodeKind {
    public let name = "broker"
    public let info = NodeKindInfo(sideEffecting: true, provider: "host (broker)")
    private let failure: NodeFailure

    /// The kind for `configuration`: `BrokerUnconfigured` when no config was found,
    /// `BrokerUnavailable` when a config was found (the broker itself is not in this build).
    public init(configuration: BrokerConfiguration) {
        if let path = configuration.path {
            failure = NodeFailure(
                errorClass: "BrokerUnavailable",
                message: "the policy broker is configured (\(path)) but this build of stargraph has no broker to start; the node cannot run")
        } else {
            failure = NodeFailure(
                errorClass: "BrokerUnconfigured",
                message: "no broker is configured: no nautilus config at \(configuration.searchedPath); "
                    + "create it, or pass --nautilus-config, or set nautilus_config in the manifest, then restart the server")
        }
    }

    public func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
        FailingNode(failure: failure)
    }

    private struct FailingNode: NodeInstance {
        let failure: NodeFailure

        func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
            throw failure
        }
    }
}
