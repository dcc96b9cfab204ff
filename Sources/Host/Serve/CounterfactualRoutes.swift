import Hummingbird
import StargraphCore
import StargraphEngine
import StargraphScheduler

/// `POST /v1/runs/{id}/counterfactual` and `GET /v1/runs/{id}/diff`: the HTTP face of
/// ``Counterfactuals`` (the same functions `stargraph replay` and `inspect --diff` call). The
/// fork is queued in the scheduler; the rate limiter covers the POST like every mutating route.
struct CounterfactualRoutes: Sendable {
    typealias Context = StargraphRequestContext

    let engine: RunEngine
    let scheduler: RunScheduler

    /// Adds the routes to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.forkRun, use: fork)
        router.on(.diffRun, use: diff)
    }

    /// Body `{from_step?, mutation?}` → 202 `{run_id: "cf-…", parent_run_id, status}`.
    @Sendable func fork(_ request: Request, context: Context) async throws -> Response {
        let parentRunId = try RunRoutes.runId(context)
        let body = try await JSONMessages.body(of: request)
        guard let members = body.objectValue else {
            throw Problem(.invalidRequestBody, detail: "the body must be an object {from_step?, mutation?}, not \(body.typeName)")
        }
        let unknown = Set(members.keys).subtracting(["from_step", "mutation"]).sorted()
        guard unknown.isEmpty else {
            throw Problem(.invalidRequestBody, detail: "unknown member(s) \(unknown.joined(separator: ", ")); the body is {from_step?, mutation?}")
        }
        let fromStep = members["from_step"] ?? .null
        guard fromStep == .null || fromStep.intValue != nil else {
            throw Problem(.invalidRequestBody, detail: "from_step must be an integer step number")
        }
        let fork: RunRecord
        do {
            fork = try await scheduler.submitCounterfactual(
                parentRunId: parentRunId, fromStep: fromStep.intValue ?? 0, mutation: members["mutation"])
        } catch {
            throw Self.problem(error)
        }
        return JSONMessages.response(
            ["run_id": .string(fork.runId), "parent_run_id": .string(parentRunId), "status": .string(fork.status.rawValue)],
            status: .accepted, headers: [.location: "/v1/runs/\(fork.runId)"])
    }

    /// The RunDiff of run `{id}` against its parent, or against `?against=RUN_ID`.
    @Sendable func diff(_ request: Request, context: Context) async throws -> Response {
        let runId = try RunRoutes.runId(context)
        let base: String
        if let against = request.uri.queryParameters.get("against") {
            base = against
        } else {
            guard let run = try await engine.store.run(runId) else { throw Self.problem(EngineError.runNotFound(runId)) }
            guard let parent = run.parentRunId else {
                throw Problem(.invalidCounterfactual, detail: "run \(runId) is not a counterfactual fork; pass ?against=RUN_ID to diff it with another run of its graph")
            }
            base = parent
        }
        do {
            return await JSONMessages.response(try Counterfactuals(engine: engine).diff(base: base, other: runId).json)
        } catch {
            throw Self.problem(error)
        }
    }

    private static func problem(_ error: any Error) -> Problem {
        switch error {
        case let error as SchedulerError: Problem(error)
        case EngineError.runNotFound(let id): Problem(.runNotFound, detail: "no run '\(id)' in this server's database; GET /v1/runs lists the runs")
        case let error as MutationError: Problem(.invalidCounterfactual, detail: error.description)
        case CounterfactualError.fromStepOutOfRange(_, _, let steps) where steps > 0:
            Problem(.invalidCounterfactual, detail: "\(error); send a from_step between 0 and \(steps - 1)")
        case let error as CounterfactualError: Problem(.invalidCounterfactual, detail: error.description)
        case let error as EngineError: Problem(.conflict, detail: error.description)
        default: Problem(.internalError, detail: "the fork could not be stored; see the server log")
        }
    }
}
