import Synchronization
import StargraphEngine

/// Wakes the event streams of a run when its durable event log grows.
///
/// Pass it as the runtime's `eventSink`; ``StreamRoutes`` subscribes one waiter per open stream.
/// A waiter holds at most one pending wake-up (wake-ups coalesce), so a burst of commits never
/// queues anything: the stream re-reads the store from its last sent seq when it wakes.
public final class RunEventHub: RunEventSink, Sendable {
    private struct Waiters {
        var nextId: UInt64 = 0
        var byRun: [String: [UInt64: AsyncStream<Void>.Continuation]] = [:]
    }

    private let waiters = Mutex(Waiters())

    /// An empty hub.
    public init() {}

    /// Wakes every stream of `runId` (called by the engine after each durable commit).
    public func runUpdated(_ runId: String) {
        let continuations = waiters.withLock { $0.byRun[runId].map { Array($0.values) } ?? [] }
        for continuation in continuations { continuation.yield() }
    }

    /// Registers a waiter for `runId`. Iterate ``Subscription/wakeups`` to wait; call
    /// ``unsubscribe(_:)`` when the stream ends.
    func subscribe(_ runId: String) -> Subscription {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = waiters.withLock { state in
            state.nextId += 1
            state.byRun[runId, default: [:]][state.nextId] = continuation
            return state.nextId
        }
        return Subscription(runId: runId, id: id, wakeups: stream, continuation: continuation)
    }

    /// Removes `subscription` and finishes its wake-ups.
    func unsubscribe(_ subscription: Subscription) {
        waiters.withLock { state in
            state.byRun[subscription.runId]?[subscription.id] = nil
            if state.byRun[subscription.runId]?.isEmpty == true { state.byRun[subscription.runId] = nil }
        }
        subscription.continuation.finish()
    }

    /// How many streams wait on `runId` (for tests and diagnostics).
    func waiterCount(_ runId: String) -> Int {
        waiters.withLock { $0.byRun[runId]?.count ?? 0 }
    }

    /// One stream's registration: its coalescing wake-up sequence.
    struct Subscription: Sendable {
        let runId: String
        let id: UInt64
        let wakeups: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation

        /// Wakes this stream alone (the poll tick that catches writes from other processes).
        func poke() { continuation.yield() }

        /// Pokes this stream every `interval` until the task is cancelled: the poll tick of
        /// a stream or a wait, for runs another process commits on the same database.
        func poll(every interval: Duration) async {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                poke()
            }
        }
    }
}
