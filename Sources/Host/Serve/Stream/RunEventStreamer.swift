import Foundation
import Logging
import Synchronization
import StargraphCore
import StargraphStore

/// Sends one run's events to one client (a WebSocket or a Server-Sent Events response): the
/// durable log after `afterSeq`, then live
/// events as the hub (or the poll tick) wakes it, always re-reading the store after the last
/// sent seq — so nothing is skipped or sent twice and nothing is buffered in memory beyond one
/// page.
struct RunEventStreamer: Sendable {
    /// Why the stream ends.
    enum Outcome: Sendable, Equatable {
        /// The run's terminal event (or terminal status) was reached.
        case finished(RunStatus)
        /// The client closed or went away.
        case clientClosed
        /// The consumer fell too far behind; the reason names where to resume.
        case tooSlow(String)
        /// The run does not exist.
        case runNotFound(String)
        /// Reading the store failed.
        case storeFailed(String)
    }

    /// Event types after which the run never changes again.
    static let terminalTypes: Set<String> = ["run_done", "run_failed", "run_cancelled"]

    let store: any RunStore
    let runId: String
    let limits: StreamLimits

    /// The JSON text frame of `event`: `{seq, run_id, step, type, ts, payload}`.
    static func frame(_ event: EventRecord) -> String {
        CanonicalJSON.encode([
            "seq": .number(Double(event.seq)), "run_id": .string(event.runId),
            "step": event.step.map { .number(Double($0)) } ?? .null, "type": .string(event.type),
            "ts": .string(Timestamps.format(event.ts)), "payload": event.payload,
        ])
    }

    /// Streams events with seq > `afterSeq` through `send` until the run ends, the consumer is too
    /// slow, or the task is cancelled (the client went away). `send` returns once the client's
    /// connection took the event, so a stalled client stalls it.
    func run(
        afterSeq: Int, wakeups: AsyncStream<Void>, send: @escaping @Sendable (EventRecord) async throws -> Void
    ) async -> Outcome {
        let sent = SentSeq(afterSeq)
        do {
            let backlogEnd = try await store.lastEventSeq(runId: runId)
            var wakeups = wakeups.makeAsyncIterator()
            while !Task.isCancelled {
                // Read the status before the events: a terminal status seen here has all of its
                // events in the page read next.
                let status = try await store.run(runId)?.status
                let page = try await store.events(runId: runId, afterSeq: sent.value, limit: limits.pageSize)
                if !page.isEmpty {
                    let pending = try await store.lastEventSeq(runId: runId) - max(sent.value, backlogEnd)
                    if pending > limits.maxPendingEvents {
                        return .tooSlow("too slow: \(pending) new events unsent; reconnect with last_event_id=\(sent.value)")
                    }
                    let written = try await withDeadline(limits.stallTimeout) {
                        for event in page {
                            try await send(event)
                            sent.value = event.seq
                            if Self.terminalTypes.contains(event.type) { return event.type }
                        }
                        return ""
                    }
                    guard let lastType = written else {
                        return .tooSlow("too slow: frames waited over \(limits.stallTimeout); reconnect with last_event_id=\(sent.value)")
                    }
                    if Self.terminalTypes.contains(lastType) {
                        return .finished(RunStatus(rawValue: String(lastType.dropFirst(4))) ?? .done)
                    }
                    continue  // re-read: more events, or a terminal status, may be there already
                }
                guard let status else { return .runNotFound(runId) }
                if status.isTerminal { return .finished(status) }
                guard await wakeups.next() != nil else { break }
            }
            return .clientClosed
        } catch is CancellationError {
            return .clientClosed
        } catch {
            return .storeFailed("cannot read events: \(error)")
        }
    }

    /// The last seq handed to the socket, shared with the write task.
    private final class SentSeq: Sendable {
        private let seq: Mutex<Int>
        init(_ seq: Int) { self.seq = Mutex(seq) }
        var value: Int {
            get { seq.withLock { $0 } }
            set { seq.withLock { $0 = newValue } }
        }
    }
}

/// Runs `operation`, giving up (and cancelling it) after `limit`: returns `nil` on timeout.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { return nil }
        return first
    }
}
