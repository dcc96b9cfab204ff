/// Decides which queued run starts next and starts it: at most `workers` runs at once, at most a
/// graph's `max_concurrency` runs of that graph at once, and the oldest queue row first within a
/// graph (across graphs, the oldest eligible row).
///
/// Work arrives with ``add(_:)`` and starts at once when a slot is free — no polling. A run
/// under a control operation is ``hold(_:)``-ed: it does not start until ``release(_:drop:)``.
actor RunDispatcher {
    /// Where a run stands in this process.
    enum Presence: Sendable {
        /// Executing in this process.
        case active
        /// Queued in this process, not started.
        case queued
        /// Not known to this process.
        case absent
    }

    private let workers: Int
    private let limits: [String: Int]
    private let work: @Sendable (QueuedRun) async -> Void
    private let depthChanged: @Sendable (Int) -> Void
    private var queues: [String: GraphQueue] = [:]
    /// Queued run id → its graph.
    private var queued: [String: String] = [:]
    /// Executing run id → its queue row and task.
    private var active: [String: (run: QueuedRun, task: Task<Void, Never>)] = [:]
    private var runningByGraph: [String: Int] = [:]
    /// Runs being accepted in a slot promised by ``reserve(_:runId:)``, not yet started: id → graph.
    private var reservations: [String: String] = [:]
    /// Reserved runs a control operation settled (and released with `drop`) before they started.
    private var droppedReservations: Set<String> = []
    private var held: Set<String> = []
    private var finishWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var isOpen = false
    private var isStopping = false

    /// - Parameters:
    ///   - workers: the global limit of runs executing at once (at least 1).
    ///   - limits: per-graph `max_concurrency`; graphs without an entry share only the global limit.
    ///   - work: drives one queued run; it returns when the run stopped (or was cancelled).
    ///   - depthChanged: told the number of queued runs whenever it changes.
    init(
        workers: Int, limits: [String: Int], work: @escaping @Sendable (QueuedRun) async -> Void,
        depthChanged: @escaping @Sendable (Int) -> Void
    ) {
        self.workers = max(1, workers)
        self.limits = limits
        self.work = work
        self.depthChanged = depthChanged
    }

    /// Queues `run` (ignored when it is already queued or executing here) and starts work if a
    /// slot is free.
    func add(_ run: QueuedRun) {
        guard queued[run.runId] == nil, active[run.runId] == nil, !isStopping else { return }
        queued[run.runId] = run.graphId
        queues[run.graphId, default: GraphQueue()].insert(run)
        depthChanged(queued.count)
        dispatch()
    }

    /// Promises a worker slot to the new run `runId` of `graphId` being accepted, when it may
    /// start at once: a slot is free, the graph is under its `max_concurrency`, and no run of it
    /// is queued ahead (FIFO). Follow with ``start(reserved:)`` once the run is stored, or
    /// ``cancelReservation(_:)`` when it was not.
    func reserve(_ graphId: String, runId: String) -> Bool {
        guard isOpen, !isStopping, active.count + reservations.count < workers, queues[graphId]?.first == nil
        else { return false }
        if let limit = limits[graphId], runningByGraph[graphId, default: 0] >= limit { return false }
        reservations[runId] = graphId
        runningByGraph[graphId, default: 0] += 1
        return true
    }

    /// Starts `run` in the slot ``reserve(_:runId:)`` promised it — unless a control operation
    /// settled it meanwhile (it is not started), or is deciding about it now (it waits in the
    /// queue like any run, and its worker reads it back). While stopping it is left to the next
    /// start: the scheduler releases it with its other claims.
    func start(reserved run: QueuedRun) {
        guard reservations.removeValue(forKey: run.runId) != nil else { return }
        let settled = droppedReservations.remove(run.runId) != nil
        guard !isStopping, !settled, !held.contains(run.runId) else {
            runningByGraph[run.graphId, default: 1] -= 1
            if !isStopping, !settled {
                var waiting = run
                waiting.acceptedRunning = nil
                queued[run.runId] = run.graphId
                queues[run.graphId, default: GraphQueue()].insert(waiting)
                depthChanged(queued.count)
            }
            dispatch()
            return
        }
        launch(run)
    }

    /// Gives back the slot of `runId`, which was not stored.
    func cancelReservation(_ runId: String) {
        guard let graphId = reservations.removeValue(forKey: runId) else { return }
        droppedReservations.remove(runId)
        runningByGraph[graphId, default: 1] -= 1
        dispatch()
    }

    /// Starts executing queued runs (called once recovery has queued what it found).
    func open() {
        isOpen = true
        dispatch()
    }

    /// Keeps `runId` from starting until ``release(_:drop:)``; tells where it stands.
    func hold(_ runId: String) -> Presence {
        held.insert(runId)
        if active[runId] != nil { return .active }
        return queued[runId] != nil || reservations[runId] != nil ? .queued : .absent
    }

    /// Ends a ``hold(_:)``; with `drop`, removes the run from the queue.
    func release(_ runId: String, drop: Bool) {
        held.remove(runId)
        if drop, reservations[runId] != nil { droppedReservations.insert(runId) }
        if drop, let graphId = queued.removeValue(forKey: runId) {
            queues[graphId]?.remove(runId)
            depthChanged(queued.count)
        }
        dispatch()
    }

    /// The queue row `runId` is executing with in this process, if it is executing.
    func activeRun(_ runId: String) -> QueuedRun? { active[runId]?.run }

    /// Returns once `runId` is not executing in this process.
    func waitUntilIdle(_ runId: String) async {
        guard active[runId] != nil else { return }
        await withCheckedContinuation { finishWaiters[runId, default: []].append($0) }
    }

    /// Runs queued here and not started.
    var queueDepth: Int { queued.count }

    /// Stops starting runs, cancels the executing ones (each stops at its next checkpoint
    /// boundary) and returns once they all returned.
    func stop() async {
        isStopping = true
        let tasks = active.values.map(\.task)
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
    }

    private func dispatch() {
        guard isOpen, !isStopping else { return }
        while active.count + reservations.count < workers, let graphId = nextGraph(), let run = queues[graphId]?.popFirst() {
            queued.removeValue(forKey: run.runId)
            depthChanged(queued.count)
            runningByGraph[graphId, default: 0] += 1
            launch(run)
        }
    }

    /// Executes `run` in a slot already counted in `runningByGraph`.
    private func launch(_ run: QueuedRun) {
        active[run.runId] = (run, Task { [work] in
            await work(run)
            self.finished(run)
        })
    }

    /// The graph whose first queued run is the oldest among graphs below their limit.
    private func nextGraph() -> String? {
        var best: (graphId: String, order: Int64)?
        for (graphId, queue) in queues {
            guard let head = queue.first, !held.contains(head.runId) else { continue }
            if let limit = limits[graphId], runningByGraph[graphId, default: 0] >= limit { continue }
            if best.map({ head.order < $0.order }) ?? true { best = (graphId, head.order) }
        }
        return best?.graphId
    }

    private func finished(_ run: QueuedRun) {
        active.removeValue(forKey: run.runId)
        runningByGraph[run.graphId, default: 1] -= 1
        finishWaiters.removeValue(forKey: run.runId)?.forEach { $0.resume() }
        dispatch()
    }
}

/// One graph's queued runs, kept in queue-row order; popping the first is O(1) amortised.
struct GraphQueue: Sendable {
    private var runs: [QueuedRun] = []
    private var head = 0

    var first: QueuedRun? { head < runs.count ? runs[head] : nil }

    /// Inserts `run` at its place by `order` (usually the end).
    mutating func insert(_ run: QueuedRun) {
        var index = runs.count
        while index > head, runs[index - 1].order > run.order { index -= 1 }
        runs.insert(run, at: index)
    }

    mutating func popFirst() -> QueuedRun? {
        guard let run = first else { return nil }
        head += 1
        if head > 64, head * 2 > runs.count {
            runs.removeFirst(head)
            head = 0
        }
        return run
    }

    mutating func remove(_ runId: String) {
        guard let index = runs[head...].firstIndex(where: { $0.runId == runId }) else { return }
        runs.remove(at: index)
    }
}
