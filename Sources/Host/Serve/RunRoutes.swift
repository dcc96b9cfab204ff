import Foundation
import HTTPTypes
import Hummingbird
import StargraphCore
import StargraphStore
import StargraphEngine
import StargraphScheduler
import StargraphHost

/// `/v1/runs…`: submit a run, list and read runs (from the store, so runs other processes
/// wrote are visible), read a run's checkpoints, and cancel / pause / resume / respond.
struct RunRoutes: Sendable {
    typealias Context = StargraphRequestContext

    let store: any HostStore
    let scheduler: RunScheduler

    /// Adds the routes to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.submitRun, use: submit)
        router.on(.listRuns, use: list)
        router.on(.getRun, use: show)
        router.on(.getRunSteps, use: steps)
        router.on(.cancelRun) { _, context in try await control(context, scheduler.cancel) }
        router.on(.pauseRun) { _, context in try await control(context, scheduler.pause) }
        router.on(.resumeRun) { _, context in try await control(context, scheduler.resume) }
        router.on(.respondToRun, use: respond)
    }

    /// `POST /v1/runs`: 202 `{run_id, status, graph_hash, origin}` for a new run, 200 for an
    /// idempotent repeat.
    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        let result = try await accept(try await JSONMessages.body(of: request), request: request, context: context)
        let summary: JSONValue = [
            "run_id": .string(result.run.runId), "status": .string(result.run.status.rawValue),
            "graph_hash": .string(result.run.graphHash), "origin": .string(result.origin),
        ]
        return JSONMessages.response(
            summary, status: result.created ? .accepted : .ok, headers: [.location: "/v1/runs/\(result.run.runId)"])
    }

    /// Checks `body` as a run submission and hands it to the scheduler, as the caller's principal.
    func accept(_ body: JSONValue, request: Request, context: Context) async throws -> Submission {
        var submission = try RunSubmission(body: body, idempotencyHeader: request.headers[.idempotencyKey])
        submission.request.principal = context.principal?.id
        do {
            return try await scheduler.submit(submission.request)
        } catch {
            throw Problem(error)
        }
    }

    /// `GET /v1/runs`: a ``ListPage`` of RunSummaries, newest first.
    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let query = try RunListQuery(request.uri.queryParameters)
        let page = try await store.listRuns(RunQuery(
            status: query.status, graphId: query.graphId, parentRunId: query.parentRunId,
            createdAfter: query.createdAfter, createdBefore: query.createdBefore,
            limit: query.limit, after: query.cursor, offset: query.offset))
        return JSONMessages.response(ListPage.json(
            items: page.runs.map { RunSummary($0).json }, total: page.total, limit: query.limit, nextCursor: page.next.map(query.token)))
    }

    /// `GET /v1/runs/{id}`: the RunSummary.
    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        JSONMessages.response(RunSummary(try await storedRun(context)).json)
    }

    /// `GET /v1/runs/{id}/steps`: every checkpoint, in step order.
    @Sendable func steps(_ request: Request, context: Context) async throws -> Response {
        let run = try await storedRun(context)
        let checkpoints = try await store.checkpoints(runId: run.runId)
        return JSONMessages.response([
            "run_id": .string(run.runId), "status": .string(run.status.rawValue),
            "steps": .array(checkpoints.map(Self.json)),
        ])
    }

    /// `POST /v1/runs/{id}/respond`: the body is the response object answering the interrupt.
    @Sendable func respond(_ request: Request, context: Context) async throws -> Response {
        let response = try await JSONMessages.body(of: request)
        return try await control(context) { runId async throws(SchedulerError) in
            try await scheduler.respond(runId, response: response)
        }
    }

    /// Runs a control action; 200 with the summary once applied, 202 while it waits for the
    /// running run's next checkpoint boundary.
    private func control(
        _ context: Context, _ action: (String) async throws(SchedulerError) -> RunRecord
    ) async throws -> Response {
        let runId = try Self.runId(context)
        let run: RunRecord
        do {
            run = try await action(runId)
        } catch {
            throw Problem(error)
        }
        return JSONMessages.response(RunSummary(run).json, status: run.status == .running ? .accepted : .ok)
    }

    private func storedRun(_ context: Context) async throws -> RunRecord {
        let runId = try Self.runId(context)
        guard let run = try await store.run(runId) else {
            throw Problem(.runNotFound, detail: "no run '\(runId)' in this server's database; GET /v1/runs lists the runs")
        }
        return run
    }

    static func runId(_ context: Context) throws(Problem) -> String {
        guard let raw = context.parameters.get("id"), let id = raw.removingPercentEncoding, !id.isEmpty else {
            throw Problem(.invalidPathParameter, detail: "the run id in the path is not valid percent-encoded text")
        }
        return id
    }

    static func json(_ checkpoint: CheckpointRecord) -> JSONValue {
        [
            "step": .number(Double(checkpoint.step)), "branch_id": .string(checkpoint.branchId),
            "node": .string(checkpoint.node), "state": checkpoint.state, "facts": checkpoint.facts,
            "next_action": checkpoint.nextAction, "output": checkpoint.output,
            "input_hash": .string(checkpoint.inputHash), "output_hash": .string(checkpoint.outputHash),
            "graph_hash": .string(checkpoint.graphHash),
            "rules_fired": .array(checkpoint.rulesFired.map(JSONValue.string)),
            "effects": checkpoint.effects, "ts": .string(Timestamps.format(checkpoint.ts)),
        ]
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header).
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
