import Foundation
import StargraphCore
import StargraphEngine

/// The built-in `broker` node kind: asks the policy broker for data and writes its
/// whole response (``BrokerResponse/json``) into a `dict` state field.
///
/// Config: `agent_id_field` and `intent_field` (`str` fields read at call time), `purpose` (a
/// string), `output_field` (a `dict` field), optional `data_types` (a list of strings; without it
/// the broker's `intent_map` chooses). Side-effecting, so replays serve the recorded response.
///
/// Without a broker (no nautilus config: the soft-fail) graphs using the kind still load, and a
/// run fails at the node with `BrokerUnconfigured`; its config is checked only when a broker runs.
public struct BrokerNodeKind: NodeKind {
    public let name = "broker"
    public let info = NodeKindInfo(sideEffecting: true, provider: "host (broker)")
    private let broker: Broker?
    private let unconfigured: NodeFailure

    /// The kind for `configuration`, asking `broker` (`nil` when none is configured).
    public init(configuration: BrokerConfiguration, broker: Broker?) {
        self.broker = broker
        unconfigured = NodeFailure(
            errorClass: "BrokerUnconfigured",
            message: "no broker is configured: no nautilus config at \(configuration.searchedPath); "
                + "create it, or pass --nautilus-config, or set nautilus_config in the manifest, then restart the server")
    }

    public func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
        guard let broker else { return UnconfiguredNode(failure: unconfigured) }
        let config = try NodeConfig(spec).allowOnly(["agent_id_field", "intent_field", "purpose", "output_field", "data_types"])
        let agentField = try config.requiredString("agent_id_field")
        let intentField = try config.requiredString("intent_field")
        let outputField = try config.requiredString("output_field")
        for (key, field, type) in [("agent_id_field", agentField, FieldType.str), ("intent_field", intentField, .str), ("output_field", outputField, .dict)] {
            try config.requireField(field, in: schema, key: key)
            guard schema.field(field)?.type == type else { throw config.error("config '\(key)' must name a \(type.rawValue) field") }
        }
        return BrokerNode(
            broker: broker, agentField: agentField, intentField: intentField, purpose: try config.requiredString("purpose"),
            dataTypes: try config.stringList("data_types"), outputField: outputField)
    }

    private struct UnconfiguredNode: NodeInstance {
        let failure: NodeFailure

        func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
            throw failure
        }
    }
}

/// One configured `broker` node.
package struct BrokerNode: NodeInstance {
    package let broker: Broker
    package let agentField: String
    package let intentField: String
    package let purpose: String
    package let dataTypes: [String]?
    package let outputField: String

    package func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
        var contextMembers: [String: JSONValue] = ["purpose": .string(purpose)]
        if let dataTypes { contextMembers["data_types"] = .array(dataTypes.map(JSONValue.string)) }
        let body: JSONValue = [
            "agent_id": state[agentField] ?? .null, "intent": state[intentField] ?? .null, "context": .object(contextMembers),
        ]
        let requestId = "breq-" + context.host.uuid()
        let issuedAt = Date(timeIntervalSince1970: context.host.nowMillis() / 1000)
        do {
            let response = try await broker.handle(
                json: body, requestId: requestId, issuedAt: issuedAt, origin: "node:\(context.runId)/\(context.nodeId)")
            return NodeResult(patch: [outputField: response.json])
        } catch let error as BrokerRequestError {
            throw NodeFailure(
                errorClass: "BrokerRequestInvalid",
                message: "node \(context.nodeId): \(error.message) (agent_id comes from '\(agentField)', intent from '\(intentField)')")
        } catch {
            throw NodeFailure(errorClass: "BrokerAuditFailed", message: "node \(context.nodeId): the broker could not audit the request, so it withheld the response: \(error)")
        }
    }
}
