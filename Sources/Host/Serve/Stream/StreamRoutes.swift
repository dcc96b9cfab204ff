import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import StargraphStore
import StargraphHost

/// The WebSocket route `GET /v1/runs/{id}/stream`: a run's events as JSON text frames
/// `{seq, run_id, step, type, ts, payload}`, first from the durable event log, then live.
///
/// - `?last_event_id=N` resumes after seq N (no gap, no duplicate); without it the stream starts
///   at seq 1.
/// - After the run's terminal event (`run_done`, `run_failed`, `run_cancelled`) the server
///   closes with 1000 and the reason `run <status>`.
/// - An unknown run is upgraded, then closed at once with code 4404 and the reason `no run <id>`
///   (HummingbirdWebSocket answers every refused upgrade with an empty 400, which a WebSocket
///   client cannot read, so the refusal travels as a close code instead). A bad
///   `last_event_id` refuses the upgrade (that empty 400). A plain GET without
///   `Upgrade: websocket` answers 426 problem+json.
/// - Auth runs before the upgrade: a refused key (401/403) also ends as that empty 400 on an
///   upgrade attempt; the same request as a plain GET shows the problem document.
/// - A consumer that falls more than ``StreamLimits/maxPendingEvents`` behind, or whose socket
///   accepts nothing for ``StreamLimits/stallTimeout``, is closed with 1008 and a reason naming
///   the `last_event_id` to reconnect with. Memory per stream is one page of events.
///
/// ## Wiring (what the server must do)
/// WebSocket upgrades in HummingbirdWebSocket 2.8 are decided by a router passed to the HTTP
/// server builder. Register the stream on the SAME router the application serves, and give that
/// router to the server builder too:
/// ```swift
/// let router = Router(context: StargraphRequestContext.self)
/// router.add(middleware: AuthMiddleware(profile: profile, keys: keys))     // first
/// router.add(middleware: RateLimitMiddleware(requestsPerSecond: 50, burst: 100))
/// // … the other routes …
/// StreamRoutes.register(on: router, store: runtime.store, hub: hub)
/// let app = Application(
///     router: router,
///     server: .http1WebSocketUpgrade(webSocketRouter: router),
///     configuration: .init(address: .hostname(host, port: port)))
/// ```
/// where `hub` is the ``RunEventHub`` given to `StargraphRuntime.Options.eventSink`, and the
/// context type conforms to `WebSocketRequestContext` (a stored
/// `let webSocket = WebSocketHandlerReference<Self>()`) and ``PrincipalCarrying``. With one
/// router, the same middleware (auth, capability `runs:read`) guards the upgrade and the plain
/// GET. An upgrade the router refuses (any non-200: 401, 403, 400) is answered by
/// HummingbirdWebSocket itself with an empty `400` and `Connection: close` — it does not fall
/// through to the HTTP routes — so checks whose reason a client must see belong after the
/// upgrade (as the unknown-run close above).
public enum StreamRoutes {

    /// Registers the stream route on `router` (see the type's documentation for the server wiring).
    package static func register<Context: WebSocketRequestContext & PrincipalCarrying>(
        on router: Router<Context>, store: any RunStore, hub: RunEventHub, limits: StreamLimits = StreamLimits()
    ) {
        router.ws(RouterPath(APIOperation.streamRun.declaration.path)) { request, context in
            _ = try runId(context)
            guard request.headers[.upgrade]?.lowercased().contains("websocket") == true else {
                // A plain GET (it never reaches the WebSocket upgrader): tell the client how to connect.
                throw Problem(
                    .upgradeRequired,
                    detail: "GET \(request.uri.path) is a WebSocket stream: connect with a WebSocket client "
                        + "(Connection: Upgrade, Upgrade: websocket)",
                    headers: [.upgrade: "websocket", .connection: "Upgrade"])
            }
            _ = try resumePoint(request)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let streamer = RunEventStreamer(store: store, runId: try runId(context.requestContext), limits: limits)
            let afterSeq = try resumePoint(context.request)
            await serve(streamer, afterSeq: afterSeq, hub: hub, inbound: inbound, outbound: outbound, logger: context.logger)
        }
    }

    /// The percent-decoded `{id}` of the path.
    static func runId<Context: RequestContext>(_ context: Context) throws -> String {
        guard let raw = context.parameters.get("id"), let runId = raw.removingPercentEncoding, !runId.isEmpty else {
            throw Problem(.invalidPathParameter, detail: "the run id in the path is missing or not valid percent-encoding")
        }
        return runId
    }

    /// `last_event_id` (0 when absent); 400 when it is not a non-negative integer.
    static func resumePoint(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("last_event_id") else { return 0 }
        guard let value = Int(text), value >= 0 else {
            throw Problem(
                .invalidQueryParameter,
                detail: "last_event_id must be a non-negative integer (the seq of the last event received), not '\(text)'")
        }
        return value
    }

    /// Runs one connection: the streamer, a reader draining the client's frames (to notice it
    /// leaving and to answer its pings), and the poll tick; then closes with the outcome's code.
    static func serve(
        _ streamer: RunEventStreamer, afterSeq: Int, hub: RunEventHub,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger
    ) async {
        let subscription = hub.subscribe(streamer.runId)
        defer { hub.unsubscribe(subscription) }
        let limits = streamer.limits
        await withTaskGroup(of: RunEventStreamer.Outcome?.self) { group in
            group.addTask {
                do { for try await _ in inbound {} } catch {}
                return .clientClosed
            }
            group.addTask {
                await subscription.poll(every: limits.pollInterval)
                return nil
            }
            group.addTask {
                await streamer.run(afterSeq: afterSeq, wakeups: subscription.wakeups) { event in
                    try await outbound.write(.text(RunEventStreamer.frame(event)))
                }
            }
            var outcome: RunEventStreamer.Outcome = .clientClosed
            while let next = await group.next() {
                if let next {
                    outcome = next
                    break
                }
            }
            if let (code, reason) = closeFrame(for: outcome) {
                logger.debug("closing run event stream", metadata: ["run_id": "\(streamer.runId)", "reason": "\(reason)"])
                _ = try? await withDeadline(limits.closeTimeout) { try await outbound.close(code, reason: reason) }
                // Wait for the client's close reply (the reader then ends), bounded.
                group.addTask {
                    try? await Task.sleep(for: limits.closeTimeout)
                    return .clientClosed
                }
                while let next = await group.next() {
                    if next != nil { break }
                }
            }
            group.cancelAll()
        }
    }

    /// The close code and reason for `outcome` (`nil` when the client already left). Reasons
    /// stay under the 123 bytes a close frame allows.
    static func closeFrame(for outcome: RunEventStreamer.Outcome) -> (WebSocketErrorCode, String)? {
        switch outcome {
        case .clientClosed: nil
        case .finished(let status): (.normalClosure, "run \(status.rawValue)")
        case .tooSlow(let reason): (.policyViolation, String(reason.utf8.prefix(123)) ?? "too slow")
        case .runNotFound(let runId): (.unknown(4404), String("no run \(runId)".utf8.prefix(123)) ?? "no such run")
        case .storeFailed(let reason): (.unexpectedServerError, String(reason.utf8.prefix(123)) ?? "store error")
        }
    }
}
