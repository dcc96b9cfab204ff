import Hummingbird
import StargraphScheduler

extension Problem {
    /// The HTTP answer to a refusal of the scheduler: 404 unknown graph or run, 409 idempotency
    /// conflict, pinned graph hash that differs, or refused transition (naming the run's current status), 422 params or response
    /// that do not fit the graph or a webhook that is not allowed, 503 while shutting down or while the store or audit log cannot be written.
    init(_ error: SchedulerError) {
        let detail = error.description
        switch error {
        case .unknownGraph, .storedGraphNotAllowed:
            self.init(.graphNotFound, detail: detail)
        case .graphHashMismatch(_, _, let actual):
            self.init(.graphHashMismatch, detail: detail, extensions: ["graph_hash": .string(actual)])
        case .runNotFound:
            self.init(.runNotFound, detail: detail)
        case .invalidParams, .invalidResponse:
            self.init(.invalidParams, detail: detail)
        case .webhookRefused:
            self.init(.invalidRequestBody, detail: detail)
        case .idempotencyConflict(_, let runId):
            self.init(.idempotencyConflict, detail: detail, extensions: ["run_id": .string(runId)])
        case .invalidTransition(let runId, let status, _):
            self.init(.invalidTransition, detail: detail, extensions: ["run_id": .string(runId), "run_status": .string(status.rawValue)])
        case .shuttingDown:
            self.init(.shuttingDown, detail: detail, headers: [.retryAfter: "5"])
        case .storageUnavailable:
            self.init(.storageUnavailable, detail: detail, headers: [.retryAfter: "5"])
        }
    }
}
