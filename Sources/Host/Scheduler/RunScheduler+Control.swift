import StargraphCore
import StargraphStore
import StargraphEngine
/// Cancel, pause, resume and respond.
///
/// A run executing in this process is stopped through the engine's ``RunSignals``: a cancel
/// interrupts its step (which is not committed), a pause waits for the step's checkpoint. The
/// call waits up to ``stopGrace`` for it: it returns the run `cancelled` or `paused`, or
/// `done`/`failed` when the run finished first, or still `running` when the step has not
/// returned yet (the run stops when it does). Runs that are not executing change status at
/// once, with a compare-and-set, so a concurrent change is never overwritten. A run executing
/// in another scheduler process sharing the database gets a control request, which that
/// process applies at its next sweep (the call returns the run still `running`); one that
/// `stargraph run` executes cannot be stopped from here.
extension RunScheduler {
    /// What a control action does to a run in a given status.
    private enum Move {
        /// Ask the executing run to stop at its next step boundary, reaching this status.
        case signal(RunSignals.Request, RunStatus)
        /// Set the status at once (the run is not executing).
        case settle(RunStatus)
        /// Ask the scheduler process executing the run to stop it.
        case forward(RunControl)
    }

    /// Cancels `runId`: pending, paused, awaiting_input or queued runs at once, a running one by
    /// interrupting its step.
    /// - Throws: ``SchedulerError/runNotFound(_:)``, or ``SchedulerError/invalidTransition(runId:status:action:)``
    ///   when it is already final or runs in another process.
    public func cancel(_ runId: String) async throws(SchedulerError) -> RunRecord {
        try await control(runId, action: "cancel") { status, presence in
            switch (status, presence) {
            case (let status, _) where status.isTerminal: nil
            case (_, .active): .signal(.cancel, .cancelled)
            case (.pending, _), (.paused, _), (.awaitingInput, _), (.running, .queued): .settle(.cancelled)
            case (.running, .absent): .forward(.cancel)
            default: nil
            }
        }
    }

    /// Pauses `runId`: a pending run at once, a running one at its next step boundary.
    /// ``resume(_:)`` continues it.
    /// - Throws: ``SchedulerError/runNotFound(_:)``, or ``SchedulerError/invalidTransition(runId:status:action:)``
    ///   for paused, awaiting_input and final runs, and runs executing in another process.
    public func pause(_ runId: String) async throws(SchedulerError) -> RunRecord {
        try await control(runId, action: "pause") { status, presence in
            switch (status, presence) {
            case (let status, .active) where !status.isTerminal: .signal(.pause, .paused)
            case (.pending, _), (.running, .queued): .settle(.paused)
            case (.running, .absent): .forward(.pause)
            default: nil
            }
        }
    }

    /// Queues the paused run `runId` again; it becomes `pending` and continues after its last
    /// checkpoint when a worker is free. Returns it as `pending`.
    /// - Throws: ``SchedulerError/runNotFound(_:)``, or ``SchedulerError/invalidTransition(runId:status:action:)``
    ///   unless it is paused.
    public func resume(_ runId: String) async throws(SchedulerError) -> RunRecord {
        try await requeue(runId, action: "resume", from: .paused, response: nil)
    }

    /// Answers the run `runId` waiting for input with `response` (a JSON object of state fields).
    ///
    /// The response is checked against the graph's `state_schema`, then queued durably with the
    /// run; a worker applies it and continues the run. Returns the run as it stands once the
    /// response is queued (still `awaiting_input`; follow it with GET or the event stream).
    /// - Throws: ``SchedulerError/invalidResponse(_:)`` when the response does not fit,
    ///   ``SchedulerError/runNotFound(_:)``, or ``SchedulerError/invalidTransition(runId:status:action:)``
    ///   unless it is awaiting input with no response queued yet.
    public func respond(_ runId: String, response: JSONValue) async throws(SchedulerError) -> RunRecord {
        try await requeue(runId, action: "respond", from: .awaitingInput, response: response)
    }

    // MARK: - Shared paths

    private func control(
        _ runId: String, action: String, decide: (RunStatus, RunDispatcher.Presence) -> Move?
    ) async throws(SchedulerError) -> RunRecord {
        var dropped = false
        do throws(SchedulerError) {
            let run = try await storeCall("\(action) of run \(runId)") { () async throws -> RunRecord in
                while true {
                    let presence = self.dispatcher.hold(runId)
                    guard let run = try await self.runtime.store.run(runId) else { throw SchedulerError.runNotFound(runId) }
                    switch decide(run.status, presence) {
                    case nil:
                        throw SchedulerError.invalidTransition(runId: runId, status: run.status, action: action)
                    case .signal(let request, let target):
                        // The worker may also have been finishing a run that had already stopped
                        // (awaiting input): then the run is decided again, no longer executing.
                        let (stopped, hasStopped) = try await self.stopExecuting(runId, request)
                        if !hasStopped || stopped.status == target || stopped.status.isTerminal { return stopped }
                    case .settle(let status):
                        guard let settled = try await self.settle(run, to: status) else { continue }
                        dropped = true
                        return settled
                    case .forward(let control):
                        guard try await self.runtime.store.requestControl(control, runId: runId) else {
                            throw SchedulerError.invalidTransition(runId: runId, status: run.status, action: action)
                        }
                        return run
                    }
                }
            }
            dispatcher.release(runId, drop: dropped)
            return run
        } catch {
            dispatcher.release(runId, drop: dropped)
            throw error
        }
    }

    /// Signals the executing run and waits, at most ``stopGrace``, until it stopped (clearing a
    /// signal it never took). Returns the run as stored and whether it stopped; one that did not
    /// (a step that ignores cancellation, a pause waiting for its step) still holds the signal
    /// and stops when that step returns.
    private func stopExecuting(_ runId: String, _ request: RunSignals.Request) async throws -> (run: RunRecord, stopped: Bool) {
        runtime.engine.signals.request(request, for: runId)
        let stopped = await dispatcher.waitUntilIdle(runId, atMost: Self.stopGrace)
        if stopped { _ = runtime.engine.signals.take(runId) }
        guard let run = try await runtime.store.run(runId) else { throw SchedulerError.runNotFound(runId) }
        return (run, stopped)
    }

    /// How long cancel and pause wait for an executing run to stop before answering that it will.
    package static let stopGrace: Duration = .milliseconds(250)

    /// Moves a run that is not executing from its status to `status` (compare-and-set; the
    /// store's trigger removes its queue row) and logs the event; `nil` when its status changed
    /// meanwhile.
    private func settle(_ run: RunRecord, to status: RunStatus) async throws -> RunRecord? {
        guard try await runtime.store.transitionStatus(runId: run.runId, from: [run.status], to: status) else { return nil }
        guard let settled = try await runtime.store.run(run.runId) else { throw SchedulerError.runNotFound(run.runId) }
        let event: RunEvent = status == .paused ? .runPaused : .runFinished(status: status, reason: "\(status.rawValue) by request")
        try await runtime.engine.events.update(settled, event)
        metrics.record(settled)
        return settled
    }

    /// Queues a paused run (resume) or an answered one (respond) for a worker.
    private func requeue(
        _ runId: String, action: String, from status: RunStatus, response: JSONValue?
    ) async throws(SchedulerError) -> RunRecord {
        guard acceptsWork else { throw .shuttingDown }
        _ = dispatcher.hold(runId)
        do throws(SchedulerError) {
            let (run, queued) = try await storeCall("\(action) of run \(runId)") { () async throws -> (RunRecord, QueuedRun?) in
                let run = try await self.stoppedRun(runId, action: action, expecting: status)
                if let response { try self.check(response, for: run) }
                try await self.register()
                switch try await self.runtime.store.requeue(
                    runId: runId, whenStatus: status, response: response, claimedBy: self.process.id) {
                case .queued(let queued):
                    return (try await self.markQueued(run), queued)
                case .alreadyQueued where response == nil:
                    return (try await self.markQueued(run), nil)
                case .alreadyQueued:
                    throw SchedulerError.invalidTransition(runId: runId, status: run.status, action: action)
                case .statusChanged(let current):
                    throw SchedulerError.invalidTransition(runId: runId, status: current ?? run.status, action: action)
                }
            }
            dispatcher.release(runId, drop: false)
            if let queued { dispatcher.add(queued) }
            return run
        } catch {
            dispatcher.release(runId, drop: false)
            throw error
        }
    }

    /// The run `runId` once no worker of this process holds it, when its status is `status`.
    ///
    /// A worker may still be finishing a run that just paused or began to wait (it removes the
    /// queue row last); that takes a moment. A worker delivering a response is refused at once.
    private func stoppedRun(_ runId: String, action: String, expecting status: RunStatus) async throws -> RunRecord {
        while true {
            guard let run = try await runtime.store.run(runId) else { throw SchedulerError.runNotFound(runId) }
            guard run.status == status else {
                throw SchedulerError.invalidTransition(runId: runId, status: run.status, action: action)
            }
            guard let executing = dispatcher.activeRun(runId) else { return run }
            if executing.response != nil {
                throw SchedulerError.invalidTransition(runId: runId, status: run.status, action: action)
            }
            await dispatcher.waitUntilIdle(runId)
        }
    }

    /// A resumed paused run becomes `pending` (queued); an answered run keeps `awaiting_input`
    /// until its worker applies the response.
    private func markQueued(_ run: RunRecord) async throws -> RunRecord {
        guard run.status == .paused else { return run }
        _ = try await runtime.store.transitionStatus(runId: run.runId, from: [.paused], to: .pending)
        return try await runtime.store.run(run.runId) ?? run
    }

    /// Refuses a response the engine would refuse: it must be an object of `state_schema` fields.
    private func check(_ response: JSONValue, for run: RunRecord) throws {
        let graph = try runtime.engine.compiledGraph(for: run)
        guard let patch = response.objectValue else {
            throw SchedulerError.invalidResponse(
                EngineError.invalidResponse(run.runId, "it must be a JSON object, not \(response.typeName)").description)
        }
        do {
            try graph.patching.validate(patch, source: "the response")
        } catch {
            throw SchedulerError.invalidResponse(EngineError.invalidResponse(run.runId, error.message).description)
        }
    }
}
