import Synchronization
import StargraphStore

/// Decides which queued run starts next and starts it: at most `workers` runs at once, at most a
/// graph's `max_concurrency` runs of that graph at once, and the oldest queue row first within a
/// graph (across graphs, the oldest eligible row).
///
/// Work arrives with ``add(_:)`` and starts at once when a slot is free — no polling. A run
/// under a control operation is ``hold(_:)``-ed: it does not start until ``release(_:drop:)``.
///
/// Its state sits behind a lock, not in an actor: every call is a few dictionary operations, and
/// each of the three calls a run makes (reserve, start, finish) would cost an actor hop and a
/// hop back (docs/performance.md).
package final class RunDispatcher: Sendable {
    /// Where a run stands in this process.
    package enum Presence: Sendable {
        /// Executing in this process.
        case active
        /// Queued in this process, not started.
        case queued
        /// Not known to this process.
        case absent
    }

    private struct State {
        var queues: [String: GraphQueue] = [:]
        /// Queued run id → its graph.
        var queued: [String: String] = [:]
        /// Executing run id → its queue row and task.
        var active: [String: (run: QueuedRun, task: Task<Void, Never>)] = [:]
        var runningByGraph: [String: Int] = [:]
        /// Runs being accepted in a slot promised by ``reserve(_:runId:)``, not yet started: id → graph.
        var reservations: [String: String] = [:]
        /// Reserved runs a control operation settled (and released with `drop`) before they started.
        var droppedReservations: Set<String> = []
        var held: Set<String> = []
        var finishWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
        var isOpen = false
        var isStopping = false
    }

    private let workers: Int
    private let limits: [String: Int]
    private let work: @Sendable (QueuedRun) async -> Void
    private let depthChanged: @Sendable (Int) -> Void
    private let state = Mutex(State())

    /// - Parameters:
    ///   - workers: the global limit of runs executing at once (at least 1).
    ///   - limits: per-graph `max_concurrency`; graphs without an entry share only the global limit.
    ///   - work: drives one queued run; it returns when the run stopped (or was cancelled).
    ///   - depthChanged: told the number of queued runs whenever it changes (under the lock).
    package init(
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
    package func add(_ run: QueuedRun) {
        state.withLock { state in
            guard state.queued[run.runId] == nil, state.active[run.runId] == nil, !state.isStopping else { return }
            enqueue(run, &state)
            dispatch(&state)
        }
    }

    /// Promises a worker slot to the new run `runId` of `graphId` being accepted, when it may
    /// start at once: a slot is free, the graph is under its `max_concurrency`, and no run of it
    /// is queued ahead (FIFO). Follow with ``start(reserved:)`` once the run is stored, or
    /// ``cancelReservation(_:)`` when it was not.
    package func reserve(_ graphId: String, runId: String) -> Bool {
        state.withLock { state in
            guard state.isOpen, !state.isStopping, state.active.count + state.reservations.count < workers,
                  state.queues[graphId]?.first == nil
            else { return false }
            if let limit = limits[graphId], state.runningByGraph[graphId, default: 0] >= limit { return false }
            state.reservations[runId] = graphId
            state.runningByGraph[graphId, default: 0] += 1
            return true
        }
    }

    /// Starts `run` in the slot ``reserve(_:runId:)`` promised it — unless a control operation
    /// settled it meanwhile (it is not started), or is deciding about it now (it waits in the
    /// queue like any run, and its worker reads it back). While stopping it is left to the next
    /// start: the scheduler releases it with its other claims.
    package func start(reserved run: QueuedRun) {
        state.withLock { state in
            guard state.reservations.removeValue(forKey: run.runId) != nil else { return }
            let settled = state.droppedReservations.remove(run.runId) != nil
            guard !state.isStopping, !settled, !state.held.contains(run.runId) else {
                state.runningByGraph[run.graphId, default: 1] -= 1
                if !state.isStopping, !settled {
                    var waiting = run
                    waiting.acceptedRunning = nil
                    enqueue(waiting, &state)
                }
                dispatch(&state)
                return
            }
            launch(run, &state)
        }
    }

    /// Gives back the slot of `runId`, which was not stored.
    package func cancelReservation(_ runId: String) {
        state.withLock { state in
            guard let graphId = state.reservations.removeValue(forKey: runId) else { return }
            state.droppedReservations.remove(runId)
            state.runningByGraph[graphId, default: 1] -= 1
            dispatch(&state)
        }
    }

    /// Whether ``open()`` was called: until then a run cannot start at once, so it is queued.
    package var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Starts executing queued runs (called once recovery has queued what it found).
    package func open() {
        state.withLock { state in
            state.isOpen = true
            dispatch(&state)
        }
    }

    /// Keeps `runId` from starting until ``release(_:drop:)``; tells where it stands.
    package func hold(_ runId: String) -> Presence {
        state.withLock { state in
            state.held.insert(runId)
            if state.active[runId] != nil { return .active }
            return state.queued[runId] != nil || state.reservations[runId] != nil ? .queued : .absent
        }
    }

    /// Ends a ``hold(_:)``; with `drop`, removes the run from the queue.
    package func release(_ runId: String, drop: Bool) {
        state.withLock { state in
            state.held.remove(runId)
            if drop, state.reservations[runId] != nil { state.droppedReservations.insert(runId) }
            if drop, let graphId = state.queued.removeValue(forKey: runId) {
                state.queues[graphId]?.remove(runId)
                depthChanged(state.queued.count)
            }
            dispatch(&state)
        }
    }

    /// The queue row `runId` is executing with in this process, if it is executing.
    package func activeRun(_ runId: String) -> QueuedRun? { state.withLock { $0.active[runId]?.run } }

    /// The runs executing in this process now.
    package var activeRunIds: [String] { state.withLock { Array($0.active.keys) } }

    /// Returns once `runId` is not executing in this process.
    package func waitUntilIdle(_ runId: String) async {
        await withCheckedContinuation { continuation in
            let executing = state.withLock { state in
                guard state.active[runId] != nil else { return false }
                state.finishWaiters[runId, default: []].append(continuation)
                return true
            }
            if !executing { continuation.resume() }
        }
    }

    /// Runs queued here and not started.
    package var queueDepth: Int { state.withLock { $0.queued.count } }

    /// Stops starting runs, cancels the executing ones (each stops before committing another
    /// step) and returns once they all returned, or after `drain`: then with the ids of the runs
    /// still executing (a step that ignores cancellation).
    package func stop(drain: Duration) async -> [String] {
        let tasks = state.withLock { state in
            state.isStopping = true
            return state.active.values.map(\.task)
        }
        tasks.forEach { $0.cancel() }
        await Self.wait(atMost: drain) { self.state.withLock { $0.active.isEmpty } }
        return state.withLock { $0.active.keys.sorted() }
    }

    /// Returns `true` once `runId` is not executing in this process, or `false` after `limit`.
    package func waitUntilIdle(_ runId: String, atMost limit: Duration) async -> Bool {
        await Self.wait(atMost: limit) { self.activeRun(runId) == nil }
        return activeRun(runId) == nil
    }

    /// Polls `done` until it holds or `limit` has passed.
    private static func wait(atMost limit: Duration, until done: () -> Bool) async {
        let deadline = ContinuousClock.now + limit
        while !done(), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func enqueue(_ run: QueuedRun, _ state: inout State) {
        state.queued[run.runId] = run.graphId
        state.queues[run.graphId, default: GraphQueue()].insert(run)
        depthChanged(state.queued.count)
    }

    private func dispatch(_ state: inout State) {
        guard state.isOpen, !state.isStopping else { return }
        while state.active.count + state.reservations.count < workers, let graphId = nextGraph(state),
              let run = state.queues[graphId]?.popFirst() {
            state.queued.removeValue(forKey: run.runId)
            depthChanged(state.queued.count)
            state.runningByGraph[graphId, default: 0] += 1
            launch(run, &state)
        }
    }

    /// Executes `run` in a slot already counted in `runningByGraph`. The task's end takes the
    /// lock this caller holds, so it finds its own entry.
    private func launch(_ run: QueuedRun, _ state: inout State) {
        state.active[run.runId] = (run, Task { [work] in
            await work(run)
            self.finished(run)
        })
    }

    /// The graph whose first queued run is the oldest among graphs below their limit.
    private func nextGraph(_ state: State) -> String? {
        var best: (graphId: String, order: Int64)?
        for (graphId, queue) in state.queues {
            guard let head = queue.first, !state.held.contains(head.runId) else { continue }
            if let limit = limits[graphId], state.runningByGraph[graphId, default: 0] >= limit { continue }
            if best.map({ head.order < $0.order }) ?? true { best = (graphId, head.order) }
        }
        return best?.graphId
    }

    private func finished(_ run: QueuedRun) {
        let waiters = state.withLock { state in
            state.active.removeValue(forKey: run.runId)
            state.runningByGraph[run.graphId, default: 1] -= 1
            dispatch(&state)
            return state.finishWaiters.removeValue(forKey: run.runId) ?? []
        }
        waiters.forEach { $0.resume() }
    }
}

/// One graph's queued runs, kept in queue-row order; popping the first is O(1) amortised.
package struct GraphQueue: Sendable {
    private var runs: [QueuedRun] = []
    private var head = 0

    package var first: QueuedRun? { head < runs.count ? runs[head] : nil }

    /// Inserts `run` at its place by `order` (usually the end).
    package mutating func insert(_ run: QueuedRun) {
        var index = runs.count
        while index > head, runs[index - 1].order > run.order { index -= 1 }
        runs.insert(run, at: index)
    }

    package mutating func popFirst() -> QueuedRun? {
        guard let run = first else { return nil }
        head += 1
        if head > 64, head * 2 > runs.count {
            runs.removeFirst(head)
            head = 0
        }
        return run
    }

    package mutating func remove(_ runId: String) {
        guard let index = runs[head...].firstIndex(where: { $0.runId == runId }) else { return }
        runs.remove(at: index)
    }
}
