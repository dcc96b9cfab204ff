import Foundation
import Hummingbird
import StargraphCore
import StargraphEngine

/// `POST /v1/runs/wait`: submits a run as `POST /v1/runs` does, then holds the request until the
/// run stops moving — `done`, `failed`, `cancelled`, `awaiting_input` or `paused` — or `timeout`
/// seconds pass. It answers 200 with the RunSummary (and, for an interrupt, its prompt and
/// payload), or 202 with the current summary and a `Location` to poll once the time is up.
struct RunWaitRoute: Sendable {
    typealias Context = StargraphRequestContext

    static let defaultTimeout = 30.0
    static let maximumTimeout = 300.0
    /// How often the wait re-reads the run besides the engine's wake-ups (runs another process
    /// executes on the same database wake nobody here).
    static let pollInterval: Duration = .milliseconds(250)
    static let settledStatuses: Set<RunStatus> = [.done, .failed, .cancelled, .awaitingInput, .paused]

    let runs: RunRoutes
    let hub: RunEventHub

    /// Adds the route to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.submitRunAndWait, use: wait)
    }

    @Sendable func wait(_ request: Request, context: Context) async throws -> Response {
        var body = try await JSONMessages.body(of: request)
        let timeout = try Self.timeout(&body)
        let result = try await runs.accept(body, request: request, context: context)
        let runId = result.run.runId
        let subscription = hub.subscribe(runId)
        defer { hub.unsubscribe(subscription) }
        let ticker = Task { await subscription.poll(every: Self.pollInterval) }
        defer { ticker.cancel() }
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        var run = try await runs.store.run(runId) ?? result.run
        var wakeups = subscription.wakeups.makeAsyncIterator()
        while !Self.settledStatuses.contains(run.status), ContinuousClock.now < deadline, await wakeups.next() != nil {
            run = try await runs.store.run(runId) ?? run
        }
        var summary = RunSummary(run).json.objectValue ?? [:]
        summary["origin"] = .string(result.origin)
        guard Self.settledStatuses.contains(run.status) else {
            return JSONMessages.response(.object(summary), status: .accepted, headers: [.location: "/v1/runs/\(runId)"])
        }
        if run.status == .awaitingInput, let interrupt = try await runs.store.events(runId: runId).last(where: { $0.type == "interrupt" }) {
            summary["interrupt"] = ["prompt": interrupt.payload["prompt"] ?? .null, "payload": interrupt.payload["interrupt_payload"] ?? .null]
        }
        return JSONMessages.response(.object(summary), headers: [.location: "/v1/runs/\(runId)"])
    }

    /// Takes `timeout` (seconds) out of `body`, which is otherwise a `POST /v1/runs` body.
    private static func timeout(_ body: inout JSONValue) throws(Problem) -> Double {
        guard case .object(var members) = body, let value = members.removeValue(forKey: "timeout") else { return defaultTimeout }
        body = .object(members)
        guard let seconds = value.numberValue, seconds > 0, seconds <= maximumTimeout else {
            throw Problem(.invalidRequestBody, detail: "timeout must be a number of seconds more than 0 and at most \(Int(maximumTimeout)), not \(value)")
        }
        return seconds
    }
}
