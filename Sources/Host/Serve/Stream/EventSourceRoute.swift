import AsyncAlgorithms
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StargraphCore
import StargraphStore

/// `GET /v1/runs/{id}/events`: a run's events as Server-Sent Events (`text/event-stream`), from
/// the same durable event log as the WebSocket stream and with the same limits.
///
/// Each event is `id: <seq>`, `event: <type>` and `data: <the WebSocket's JSON frame>`. The
/// `Last-Event-ID` header (sent by `EventSource` on reconnect), or `?last_event_id=N`, resumes
/// after seq N with no gap and no duplicate. An idle stream sends a `: heartbeat` comment every
/// ``StreamLimits/heartbeatInterval``. After the run's terminal event the response ends; a
/// consumer that falls too far behind gets an `event: error` naming the seq to resume after, and
/// the response ends. An unknown run is 404 before the stream starts.
enum EventSourceRoute {
    static func register<Context: RequestContext>(
        on router: Router<Context>, store: any RunStore, hub: RunEventHub, limits: StreamLimits = StreamLimits()
    ) {
        router.on(.runEvents) { request, context in
            let runId = try StreamRoutes.runId(context)
            let afterSeq = try resumePoint(request)
            guard try await store.run(runId) != nil else {
                throw Problem(.runNotFound, detail: "no run '\(runId)' in this database; check the id (GET /v1/runs lists runs)")
            }
            let streamer = RunEventStreamer(store: store, runId: runId, limits: limits)
            let body = ResponseBody { writer in
                let channel = AsyncChannel<ByteBuffer>()
                let subscription = hub.subscribe(runId)
                defer { hub.unsubscribe(subscription) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await subscription.poll(every: limits.pollInterval) }
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: limits.heartbeatInterval)
                            await channel.send(ByteBuffer(string: ": heartbeat\n\n"))
                        }
                    }
                    group.addTask {
                        await channel.send(ByteBuffer(string: "retry: 1000\n\n"))
                        let outcome = await streamer.run(afterSeq: afterSeq, wakeups: subscription.wakeups) { event in
                            await channel.send(ByteBuffer(string: message(event)))
                        }
                        if let ending = ending(outcome) { await channel.send(ByteBuffer(string: ending)) }
                        channel.finish()
                    }
                    for await buffer in channel { try await writer.write(buffer) }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
                body: body)
        }
    }

    /// One event in the text/event-stream format.
    static func message(_ event: EventRecord) -> String {
        "id: \(event.seq)\nevent: \(event.type)\ndata: \(RunEventStreamer.frame(event))\n\n"
    }

    /// The closing message for `outcome`: nothing after a terminal event (it was the last
    /// message), an `error` event otherwise.
    static func ending(_ outcome: RunEventStreamer.Outcome) -> String? {
        let reason: String
        switch outcome {
        case .finished, .clientClosed: return nil
        case .tooSlow(let why), .storeFailed(let why): reason = why
        case .runNotFound(let runId): reason = "no run \(runId)"
        }
        return "event: error\ndata: \(CanonicalJSON.encode(["reason": .string(reason)]))\n\n"
    }

    /// `Last-Event-ID`, else `?last_event_id=` (0 when neither is given); 400 when not a
    /// non-negative integer.
    private static func resumePoint(_ request: Request) throws -> Int {
        guard let header = request.headers[HTTPField.Name("Last-Event-ID")!] else { return try StreamRoutes.resumePoint(request) }
        guard let value = Int(header), value >= 0 else {
            throw Problem(.badRequest, detail: "Last-Event-ID must be the seq of the last event received (a non-negative integer), not '\(header)'")
        }
        return value
    }
}
