import Foundation
import StargraphCore
import StargraphStore

/// The built-in `write_artifact` node kind: stores the text of a state field as a
/// content-addressed artifact of the run, optionally writing its id to state.
///
/// Config: `name` (required, the artifact's name in listings), `content_field` (required, a
/// `str` field holding the content), `content_type` (default `text/plain; charset=utf-8`),
/// `output_field` (optional `str` field that receives the id `sha256:<hex>`). Side-effecting,
/// so replays serve its recorded output instead of writing again.
public struct WriteArtifactKind: NodeKind {
    private let artifacts: ArtifactStore?

    /// A kind writing into `artifacts`; with `nil`, one that only checks graphs (its nodes fail
    /// if run, see ``HostNodeKinds/checkingOnly(broker:)``).
    public init(artifacts: ArtifactStore?) {
        self.artifacts = artifacts
    }

    public var name: String { "write_artifact" }

    public var info: NodeKindInfo { NodeKindInfo(sideEffecting: true, provider: nil) }

    public func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
        let config = try NodeConfig(spec).allowOnly(["name", "content_field", "content_type", "output_field"])
        let artifactName = try config.requiredString("name")
        let contentField = try config.requiredString("content_field")
        try requireStringField(contentField, key: "content_field", config: config, schema: schema)
        let outputField = try config.string("output_field")
        if let outputField { try requireStringField(outputField, key: "output_field", config: config, schema: schema) }
        let contentType = try config.string("content_type") ?? "text/plain; charset=utf-8"
        guard Self.isMediaType(contentType) else {
            throw config.error("config 'content_type' must be a media type like text/plain or application/json, not '\(contentType)'")
        }
        return WriteArtifactNode(
            artifacts: artifacts, artifactName: artifactName, contentField: contentField,
            contentType: contentType, outputField: outputField)
    }

    private func requireStringField(_ field: String, key: String, config: NodeConfig, schema: StateSchema) throws {
        try config.requireField(field, in: schema, key: key)
        guard schema.field(field)?.type == .str else { throw config.error("config '\(key)' must name a str field") }
    }

    /// `type/subtype` with optional parameters, printable ASCII only (it becomes a response header).
    package static func isMediaType(_ text: String) -> Bool {
        let essence = text.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let parts = essence.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.contains(" ") }
            && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
    }
}

/// One configured `write_artifact` node.
package struct WriteArtifactNode: NodeInstance {
    package let artifacts: ArtifactStore?
    package let artifactName: String
    package let contentField: String
    package let contentType: String
    package let outputField: String?

    package func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
        guard case .string(let content)? = state[contentField] else {
            throw NodeFailure(
                errorClass: "ArtifactError",
                message: "node \(context.nodeId): state field '\(contentField)' is \(state[contentField]?.typeName ?? "unset"); "
                    + "write_artifact needs a string there — set it before this node runs")
        }
        guard let artifacts else {
            throw NodeFailure(
                errorClass: "ArtifactError",
                message: "node \(context.nodeId): this host was opened to check graphs only and has no artifact store")
        }
        let record: ArtifactRecord
        do {
            record = try await artifacts.write(
                Array(content.utf8), runId: context.runId, step: context.step, node: context.nodeId,
                name: artifactName, contentType: contentType)
        } catch {
            throw NodeFailure(errorClass: "ArtifactError", message: "node \(context.nodeId): \(error)")
        }
        guard let outputField else { return NodeResult() }
        return NodeResult(patch: [outputField: .string(record.artifactId.description)])
    }
}
