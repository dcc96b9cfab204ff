import Foundation
import HTTPTypes
import Hummingbird
import StargraphCore
import StargraphStore

/// `GET /v1/runs/{id}/artifacts` and `GET /v1/artifacts/{id}`.
///
/// - The list answers a ``ListPage`` of `{artifact_id, run_id, step, node, name, content_type,
///   size, created_at}` ordered by step, node, name; 404 for an unknown run.
/// - The content answers the bytes with the stored `Content-Type` (of the first write of those
///   bytes), `Content-Length`, an immutable `ETag` and `X-Content-Type-Options: nosniff`;
///   400 for an id that is not `sha256:<64 lowercase hex>` (so `../../etc/passwd` never reaches
///   the file system), 404 for a well-formed id no run wrote.
public enum ArtifactRoutes {
    /// Adds both routes to `group`, which must be mounted at `/v1`.
    public static func register<Context: PrincipalCarrying>(on router: Router<Context>, artifacts: ArtifactStore) {
        router.on(.listRunArtifacts) { _, context in
            let runId = try parameter(context, "run id")
            guard try await artifacts.store.run(runId) != nil else {
                throw Problem(.runNotFound, detail: "no run '\(runId)' in this server's database; GET /v1/runs lists runs")
            }
            let records = try await artifacts.artifacts(runId: runId)
            return JSONMessages.response(ListPage.json(items: records.map(\.json)))
        }
        router.on(.getArtifact) { _, context in
            let text = try parameter(context, "artifact id")
            guard let id = ArtifactID(text) else {
                throw Problem(.invalidPathParameter, detail: "'\(text)' is not an artifact id; ids look like sha256:<64 lowercase hex digits>, "
                    + "as listed by GET /v1/runs/{id}/artifacts")
            }
            guard let record = try await artifacts.artifact(id), let bytes = try artifacts.contents(of: id) else {
                throw Problem(.artifactNotFound, detail: "no artifact \(id) is stored on this server")
            }
            let headers: HTTPFields = [
                .contentType: record.contentType, .eTag: "\"\(id.hex)\"",
                .cacheControl: "private, max-age=31536000, immutable", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// The percent-decoded path parameter `id`, or 400 naming `what`.
    private static func parameter<Context: RequestContext>(_ context: Context, _ what: String) throws -> String {
        guard let raw = context.parameters.get("id"), let value = raw.removingPercentEncoding, !value.isEmpty else {
            throw Problem(.invalidPathParameter, detail: "the \(what) in the path is missing or not valid percent-encoding")
        }
        return value
    }
}
