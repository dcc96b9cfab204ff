import Foundation
import Hummingbird
import Logging
import StargraphCore
import StargraphStore
import StargraphAudit

/// The audit log's record of who asked for what over HTTP: one `http_request` record per
/// request that changes something (every method but GET, HEAD and OPTIONS) and per refused
/// request (401, 403), naming the principal — the API key's id, `anonymous`, or `unknown` for a
/// key the server does not know; never the key itself. With the run events the engine appends,
/// it answers "which key cancelled this run".
struct RequestAudit: Sendable {
    let log: AuditLog
    /// Where the log's head is anchored after each record.
    let store: any RunStore
    let logger: Logger

    /// Whether `request` is audited once answered with `status`.
    static func audits(_ request: Request, status: HTTPResponse.Status) -> Bool {
        ![.get, .head, .options].contains(request.method) || status == .unauthorized || status == .forbidden
    }

    /// Appends the record of `request`, answered with `status`; `location` is the response's
    /// `Location` (a new run's URL), and anchors the log's new head in the store. A failed append
    /// is logged, not turned into the answer.
    func record(_ request: Request, principal: String, status: HTTPResponse.Status, location: String?) async {
        guard Self.audits(request, status: status) else { return }
        var members: [String: JSONValue] = [
            "event": "http_request", "principal": .string(principal), "method": .string(request.method.rawValue),
            "path": .string(request.uri.path), "status": .number(Double(status.code)),
            "ts": .string(Timestamps.format(Date())),
        ]
        if let runId = Self.runId(path: location ?? request.uri.path) { members["run_id"] = .string(runId) }
        do {
            if let head = try log.append([.object(members)]) { try await store.anchorAudit(head) }
        } catch {
            logger.error("could not append the request to the audit log or anchor it", metadata: ["path": "\(log.path)", "error": "\(error)"])
        }
    }

    /// The run id of a `/v1/runs/{id}…` path.
    private static func runId(path: String) -> String? {
        let segments = path.split(separator: "/")
        guard segments.count >= 3, segments[0] == "v1", segments[1] == "runs" else { return nil }
        return segments[2].removingPercentEncoding
    }
}
