import StargraphCore

/// An entry of the schedulers' durable queue (``RunQueue``): a run a scheduler must drive.
///
/// A run has a queue row while the scheduler owes it work — from acceptance until it is done,
/// failed, cancelled, paused or waiting for input — except a run accepted straight into a worker:
/// its claim is on the run itself. So a restart finds every run it must continue,
/// and never touches runs driven by `stargraph run`, which have neither.
package struct QueuedRun: Sendable, Hashable {
    /// The row id: queue order (FIFO within a graph). ``unqueued`` for a run accepted straight
    /// into a worker, which has no row (its claim is on the run).
    package var order: Int64
    package var runId: String
    package var graphId: String
    /// The answer to deliver to a run awaiting input, when this row was queued by `respond`.
    package var response: JSONValue?
    /// The run as accepted, when it was stored already `running` because a worker slot was
    /// reserved for it: that worker executes it without reading it back.
    package var acceptedRunning: RunRecord?

    /// The ``order`` of a run without a queue row: after every queued run.
    package static let unqueued = Int64.max

    package init(order: Int64, runId: String, graphId: String, response: JSONValue?, acceptedRunning: RunRecord? = nil) {
        self.order = order
        self.runId = runId
        self.graphId = graphId
        self.response = response
        self.acceptedRunning = acceptedRunning
    }
}

/// An accepted idempotency key: the hash of the request it came with and the run it created.
package struct IdempotencyEntry: Sendable, Hashable {
    package var requestHash: String
    package var runId: String

    package init(requestHash: String, runId: String) {
        self.requestHash = requestHash
        self.runId = runId
    }
}

/// What happened to a request to put a run into the queue.
package enum EnqueueOutcome: Sendable, Equatable {
    case queued(QueuedRun)
    /// The run is already queued (a resume or response for it is pending).
    case alreadyQueued
    /// The run's status is no longer the one the caller expected; nothing was queued.
    case statusChanged(RunStatus?)
}

extension IdempotencyEntry {
    /// An idempotency key with the hash of the request that carries it.
    package struct Key: Sendable, Hashable {
        package var key: String
        package var requestHash: String

        package init(key: String, requestHash: String) {
            self.key = key
            self.requestHash = requestHash
        }
    }
}

/// What a control request asks of a run executing in another scheduler process.
package enum RunControl: String, Sendable, Hashable {
    case cancel, pause
}
