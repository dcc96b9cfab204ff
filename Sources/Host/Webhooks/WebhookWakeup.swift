import StargraphEngine

/// Wakes a ``WebhookDeliverer`` when runs wrote events: an event sink of the engine, created
/// before the store it tells about. Wake-ups that come while the deliverer is busy merge into one.
package final class WebhookWakeup: RunEventSink, Sendable {
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    package init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    package func runUpdated(_ runId: String) {
        wake()
    }

    func wake() {
        continuation.yield()
    }

    func finish() {
        continuation.finish()
    }
}
