import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import StargraphCore
import StargraphStore
import StargraphEngine
import StargraphWebhooks

/// The durable run scheduler of `stargraph serve`, run as a ServiceLifecycle service.
///
/// - Accepting: ``submit(_:)`` checks the request, writes the run and its `pending_runs` row (or,
///   for a run that starts at once, this process's claim in `runs.claimed_by`) in one
///   transaction, and returns only once it is committed, so an accepted run is never lost.
/// - Executing: at most `workers` runs at once, at most a graph's `max_concurrency` of one graph,
///   oldest first within a graph. Work starts as soon as it is accepted (no polling); a 1 s
///   sweep takes over rows released by other processes or left by killed ones.
/// - Recovery: ``run()`` first takes over the queue rows and claimed runs of processes that are
///   gone. A run that was `running` resumes after its last committed step; a `pending` one
///   starts. Runs awaiting input stay waiting and can be answered with ``respond(_:response:)``
///   after a restart.
/// - Shutdown: on graceful shutdown (or cancellation of ``run()``) it stops starting runs and
///   steps, cancels the executing ones — each returns without committing the step it was in,
///   still `running` — waits at most its drain timeout for them, releases its queue claims so
///   the next start resumes them, and returns.
///
/// Only runs this scheduler accepted are driven by it: runs of `stargraph run` on the same
/// database have neither a queue row nor a claim, and are left to their process.
public final class RunScheduler: Service, Sendable {
    package enum Lifecycle: Sendable { case idle, running, stopping, stopped }

    package let runtime: SchedulerRuntime
    package let graphs: GraphRegistry
    /// Finds the graph a request names (``submit(_:)``), in the registry or the database.
    package let resolver: GraphResolver
    package let triggers: [CronTrigger]
    package let process: SchedulerProcess
    package let dispatcher: RunDispatcher
    package let metrics: SchedulerMetrics
    package let logger: Logger
    /// How long shutdown waits for executing steps to return.
    package let drainTimeout: Duration
    /// What run webhooks may be; `nil` when webhooks are off.
    package let webhooks: WebhookPolicy?
    private let leftExecuting = Mutex<[String]>([])
    package let lifecycle = Mutex(Lifecycle.idle)
    private let registered = Mutex(false)

    /// How often the sweep looks for queue rows no live scheduler owns.
    package static let sweepInterval: Duration = .seconds(1)

    /// A scheduler serving `graphs` (by default `runtime.graphs`), and graphs that ran on the
    /// database before unless `allowsStoredGraphs` is `false`, executing at most `workers` runs at
    /// once and firing `triggers`; at shutdown it waits `drainTimeout` for executing steps. Runs
    /// get webhooks as `webhooks` allows. Nothing runs before ``run()``; requests submitted
    /// earlier wait.
    package init(
        runtime: SchedulerRuntime, graphs: GraphRegistry, workers: Int, triggers: [CronTrigger],
        drainTimeout: Duration = .seconds(30), allowsStoredGraphs: Bool = true, webhooks: WebhookPolicy? = nil, logger: Logger
    ) {
        self.runtime = runtime
        self.webhooks = webhooks
        self.drainTimeout = drainTimeout
        self.graphs = graphs
        resolver = GraphResolver(registry: graphs, runtime: runtime, allowsStoredGraphs: allowsStoredGraphs, logger: logger)
        self.triggers = triggers
        self.logger = logger
        let process = SchedulerProcess.current()
        let metrics = SchedulerMetrics()
        let worker = RunWorker(
            engine: runtime.engine, store: runtime.store, graphs: graphs, metrics: metrics, logger: logger)
        var limits: [String: Int] = [:]
        for entry in graphs.all {
            if let limit = entry.maxConcurrency { limits[entry.graph.id] = max(1, limit) }
        }
        self.process = process
        self.metrics = metrics
        self.dispatcher = RunDispatcher(
            workers: workers, limits: limits, work: { await worker.drive($0) },
            depthChanged: { metrics.recordQueueDepth($0) })
    }

    /// `true` while ``run()`` executes and no shutdown has begun (for `/health`).
    public var isRunning: Bool { lifecycle.withLock { $0 == .running } }

    /// The runs whose step was still executing when shutdown stopped waiting for it (empty after
    /// a clean drain): their plugins are in a call, so the host must not shut those plugins down.
    public var runsLeftExecuting: [String] { leftExecuting.withLock { $0 } }

    /// Runs accepted by this process and waiting for a worker.
    public func queueDepth() -> Int { dispatcher.queueDepth }

    /// Recovers, executes queued runs and fires cron triggers until graceful shutdown (or
    /// cancellation), then stops every run at a checkpoint boundary and returns.
    /// - Throws: ``CronTriggerError`` for a trigger that does not parse or names an unknown graph
    ///   (fix the manifest), or a ``StoreError`` when recovery cannot read the queue.
    public func run() async throws {
        let schedules = try validatedTriggers()
        try lifecycle.withLock { state throws(SchedulerError) in
            guard state == .idle else { throw .shuttingDown }
            state = .running
        }
        do {
            try await register()
            for queued in try await runtime.store.claimAbandonedRuns(for: process) { dispatcher.add(queued) }
        } catch {
            lifecycle.withLock { $0 = .stopped }
            throw error
        }
        dispatcher.open()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sweep() }
            group.addTask { await self.fireTriggers(schedules) }
            try? await gracefulShutdown()
            lifecycle.withLock { $0 = .stopping }
            group.cancelAll()
        }
        let stillExecuting = await dispatcher.stop(drain: drainTimeout)
        if !stillExecuting.isEmpty {
            logger.error("shutdown did not wait for steps that ignore cancellation; they resume on the next start", metadata: [
                "run_ids": "\(stillExecuting.joined(separator: ","))", "drain_timeout": "\(drainTimeout)",
            ])
            leftExecuting.withLock { $0 = stillExecuting }
        }
        do {
            try await runtime.store.releaseClaims(of: process.id)
        } catch {
            logger.error("scheduler could not release its queue claims", metadata: ["error": "\(error)"])
        }
        lifecycle.withLock { $0 = .stopped }
    }

    /// Accepts `request`: checks the graph and params, then stores the run in one transaction with
    /// what makes it owed — its queue row, or, when a worker slot is free for it at once, this
    /// process's claim in the run row — and returns once it is committed. The run is stored
    /// `running` when it starts at once (no other commit), else `pending`.
    /// A repeated idempotency key with the same graph and params returns the first run
    /// (`created: false`).
    /// - Throws: the refusals of ``GraphResolver/resolve(_:graphHash:)``, ``SchedulerError/invalidParams(_:)``,
    ///   ``SchedulerError/webhookRefused(_:)``, ``SchedulerError/idempotencyConflict(key:runId:)``,
    ///   ``SchedulerError/shuttingDown``.
    public func submit(_ request: RunRequest) async throws(SchedulerError) -> Submission {
        guard acceptsWork else { throw .shuttingDown }
        let entry = try await resolver.resolve(request.graphId, graphHash: request.graphHash)
        let graph = entry.graph
        let inputs: [String: JSONValue]
        do {
            inputs = try RunInputs.check(params: request.params, schema: graph.ir.stateSchema)
        } catch {
            throw .invalidParams(error.message)
        }
        let webhook = try webhook(of: request)
        let key = request.idempotencyKey.map { IdempotencyEntry.Key(key: $0, requestHash: request.requestHash) }
        return try await storeCall("accepting a run of \(request.graphId)") {
            try await self.register()
            while true {
                if let key, let earlier = try await self.earlierSubmission(for: key, origin: entry.origin) { return earlier }
                let runId = RunIdentifiers.newRunId()
                let processId = self.process.id
                // With a worker free, the run is stored `running` and starts without a second commit.
                let startsNow = self.dispatcher.reserve(graph.id, runId: runId)
                let created: (run: RunRecord, queued: QueuedRun)
                do {
                    // One transaction: the run, and its queue row — or, when it starts now, its
                    // claim by this process in the run row. An accepted run is owed.
                    created = try await self.runtime.engine.createRun(
                        graph, inputs: inputs, runId: runId,
                        admission: startsNow
                            ? .started(idempotency: key, claimedBy: processId)
                            : .queued(params: request.params, idempotency: key, claimedBy: processId),
                        principal: request.principal, webhook: webhook)
                } catch {
                    if startsNow { self.dispatcher.cancelReservation(runId) }
                    if case StoreError.idempotencyKeyTaken = error { continue }
                    throw error
                }
                if startsNow {
                    var queued = created.queued
                    queued.acceptedRunning = created.run
                    self.dispatcher.start(reserved: queued)
                } else {
                    self.dispatcher.add(created.queued)
                }
                return Submission(run: created.run, created: true, origin: entry.origin)
            }
        }
    }

    /// The webhook `request` asks for, checked, or the server's default when it asks for none.
    private func webhook(of request: RunRequest) throws(SchedulerError) -> WebhookSubscription? {
        guard let asked = request.webhook else { return webhooks?.defaultSubscription }
        guard let webhooks else { throw .webhookRefused(.notEnabled) }
        do {
            return try webhooks.allowList.subscription(url: asked.url, events: asked.events)
        } catch {
            throw .webhookRefused(error)
        }
    }

    package var acceptsWork: Bool { lifecycle.withLock { $0 == .idle || $0 == .running } }

    /// Runs `body`, passing ``SchedulerError``s through and turning store and audit-log failures
    /// into ``SchedulerError/storageUnavailable(cause:)`` (logged with their cause).
    package func storeCall<T>(_ operation: String, _ body: () async throws -> T) async throws(SchedulerError) -> T {
        do {
            return try await body()
        } catch let error as SchedulerError {
            throw error
        } catch {
            logger.error("scheduler store failure", metadata: ["operation": "\(operation)", "error": "\(error)"])
            throw .storageUnavailable(cause: "\(error)")
        }
    }

    /// The run an earlier request with `key` created, or `nil` when the key is new. (A key is
    /// committed in the transaction that inserts its run, so a visible key has a visible run.)
    private func earlierSubmission(for key: IdempotencyEntry.Key, origin: String) async throws -> Submission? {
        guard let earlier = try await runtime.store.idempotencyEntry(key: key.key) else { return nil }
        guard earlier.requestHash == key.requestHash else {
            throw SchedulerError.idempotencyConflict(key: key.key, runId: earlier.runId)
        }
        guard let run = try await runtime.store.run(earlier.runId) else { throw SchedulerError.runNotFound(earlier.runId) }
        return Submission(run: run, created: false, origin: origin)
    }

    /// Signals the runs executing here that another process asked to cancel or pause.
    private func applyControlRequests() async throws {
        for (runId, control) in try await runtime.store.takeControlRequests(runIds: dispatcher.activeRunIds) {
            logger.info("applying a control request from another process", metadata: ["run_id": "\(runId)", "control": "\(control.rawValue)"])
            runtime.engine.signals.request(control == .cancel ? .cancel : .pause, for: runId)
        }
    }

    /// Records this process as a live scheduler before its first claim.
    package func register() async throws {
        guard !registered.withLock({ $0 }) else { return }
        try await runtime.store.recordSchedulerHeartbeat(process)
        registered.withLock { $0 = true }
    }

    /// Every second, takes over queue rows no live scheduler owns, queues runs whose interrupt
    /// timed out and applies the cancels and pauses other processes asked of runs executing
    /// here; while this process holds claims, refreshes its heartbeat every few
    /// seconds (at once when it holds claims again after being idle). An idle scheduler writes
    /// nothing.
    private func sweep() async {
        var sinceHeartbeat: Duration = .zero
        while (try? await Task.sleep(for: Self.sweepInterval)) != nil {
            do {
                sinceHeartbeat += Self.sweepInterval
                if sinceHeartbeat >= SchedulerProcess.heartbeatInterval, try await runtime.store.holdsClaims(process) {
                    sinceHeartbeat = .zero
                    try await runtime.store.recordSchedulerHeartbeat(process)
                }
                for queued in try await runtime.store.claimAbandonedRuns(for: process) { dispatcher.add(queued) }
                try await queueExpiredInterrupts()
                try await applyControlRequests()
            } catch {
                logger.warning("scheduler sweep failed; retrying", metadata: ["error": "\(error)"])
            }
        }
    }
}
