import Foundation

/// One artifact a run wrote: which bytes (by content address), where in the run, and how to serve them.
public struct ArtifactRecord: Sendable, Hashable {
    public var artifactId: ArtifactID
    public var runId: String
    public var step: Int
    public var node: String
    public var name: String
    public var contentType: String
    public var size: Int
    public var createdAt: Date

    /// Creates a record; ``ArtifactStore/write(_:runId:step:node:name:contentType:)`` is the usual source.
    public init(
        artifactId: ArtifactID, runId: String, step: Int, node: String, name: String,
        contentType: String, size: Int, createdAt: Date
    ) {
        self.artifactId = artifactId
        self.runId = runId
        self.step = step
        self.node = node
        self.name = name
        self.contentType = contentType
        self.size = size
        self.createdAt = createdAt
    }

    /// The JSON the API lists: `{artifact_id, run_id, step, node, name, content_type, size, created_at}`.
    public var json: JSONValue {
        [
            "artifact_id": .string(artifactId.description), "run_id": .string(runId),
            "step": .number(Double(step)), "node": .string(node), "name": .string(name),
            "content_type": .string(contentType), "size": .number(Double(size)),
            "created_at": .string(Timestamps.format(createdAt)),
        ]
    }
}
