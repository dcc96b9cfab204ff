import StargraphCore

/// How the transaction that stores a new run hands it to a scheduler process, so a run is never
/// stored accepted without the claim that makes some process drive it.
package enum RunAdmission: Sendable, Hashable {
    /// Queued (a queue row) for the scheduler process `claimedBy`, with the request's
    /// `params` and its idempotency key.
    case queued(params: JSONValue, idempotency: IdempotencyEntry.Key?, claimedBy: String)
    /// Started at once by a worker that the scheduler process `claimedBy` reserved: the claim is
    /// the run row's own, and there is no queue row.
    case started(idempotency: IdempotencyEntry.Key?, claimedBy: String)

    /// The scheduler process that owes the run work.
    package var claimedBy: String {
        switch self {
        case .queued(_, _, let process), .started(_, let process): process
        }
    }

    /// Whether the run is stored `running` rather than `pending`.
    package var startsRunning: Bool {
        if case .started = self { true } else { false }
    }
}
