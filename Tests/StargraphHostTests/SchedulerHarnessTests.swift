import Foundation
import GRDB
import Logging
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphEngine
@testable import StargraphScheduler

/// A database folder with registered graphs, on which tests start (and restart) schedulers.
struct SchedulerHarness {
    /// A graph of `steps` steps: `set`, then `delay` nodes of `delayMs`, then `set`.
    static func delayGraph(id: String, delayMs: Int, steps: Int = 3) -> String {
        var nodes = ["  - {id: begin, kind: set, config: {values: {phase: started}}}"]
        for index in 0..<max(0, steps - 2) {
            nodes.append("  - {id: wait\(index), kind: delay, config: {ms: \(delayMs)}}")
        }
        nodes.append("  - {id: end, kind: set, config: {values: {phase: finished}}}")
        return """
        ir_version: "1.0.0"
        id: "\(id)"
        nodes:
        \(nodes.joined(separator: "\n"))
        state_schema:
          phase: str
          message: str
        """
    }

    static let hitlGraph = """
    ir_version: "1.0.0"
    id: "test:hitl"
    nodes:
      - {id: pre, kind: echo}
      - {id: post, kind: echo}
    state_schema:
      message: str
      reply: str
    rules:
      - id: ask-after-pre
        when: "?n <- (node-id (id pre))"
        then:
          - {kind: interrupt, prompt: "What should I reply?"}
          - {kind: goto, target: post}
    """

    let directory: URL
    let graphSources: [(yaml: String, maxConcurrency: Int?)]
    /// Node kinds the runtime gets besides the built-ins.
    let nodeKinds: [any NodeKind]

    init(graphs: [(yaml: String, maxConcurrency: Int?)], nodeKinds: [any NodeKind] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-scheduler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        graphSources = graphs
        self.nodeKinds = nodeKinds
    }

    var databasePath: String { directory.appendingPathComponent("serve.sqlite").path }

    /// A fresh runtime on the harness database (as a restarted process would open it).
    func openRuntime() async throws -> (StargraphRuntime, GraphRegistry) {
        var options = StargraphRuntime.Options()
        options.database = databasePath
        options.nodeKinds = nodeKinds
        let runtime = try await StargraphRuntime.open(options)
        var registry = GraphRegistry()
        for source in graphSources {
            let graph = try runtime.compiler.compile(text: source.yaml, sourceName: "test.yaml")
            try registry.register(.init(graph: graph, origin: "file:test.yaml", maxConcurrency: source.maxConcurrency))
        }
        return (runtime, registry)
    }

    /// A scheduler on a fresh runtime of the harness database.
    func scheduler(workers: Int = 8, triggers: [CronTrigger] = []) async throws -> RunScheduler {
        let (runtime, graphs) = try await openRuntime()
        return RunScheduler(runtime: runtime.scheduling, graphs: graphs, workers: workers, triggers: triggers, logger: Logger(label: "test.scheduler"))
    }

    /// Starts `scheduler.run()`; cancel the task for a graceful stop.
    static func start(_ scheduler: RunScheduler) -> Task<Void, any Error> {
        Task { try await scheduler.run() }
    }

    /// Polls the store until `runId` satisfies `condition` (or fails the test after `timeout`).
    static func waitFor(
        _ runId: String, in store: any RunStore & RunQueue, timeout: Duration = .seconds(20),
        _ condition: @escaping (RunRecord) -> Bool = { $0.status.isTerminal }
    ) async throws -> RunRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            let run = try await #require(try store.run(runId))
            if condition(run) { return run }
            guard ContinuousClock.now < deadline else {
                Issue.record("run \(runId) stuck at \(run.status.rawValue), step_count \(run.stepCount)")
                return run
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The steps of `runId`'s checkpoints and the number of its `step` events.
    static func stepLedger(_ runId: String, in store: any RunStore & RunQueue) async throws -> (steps: [Int], stepEvents: Int) {
        let steps = try await store.checkpoints(runId: runId).map(\.step)
        let events = try await store.events(runId: runId).filter { $0.type == "step" }.count
        return (steps, events)
    }

    /// Number of `pending_runs` rows.
    static func queueRows(_ store: any RunStore & RunQueue) async throws -> Int { try await store.queuedRunCount() }
}

/// Runs `body` and returns the ``SchedulerError`` it threw (`nil` when it did not throw; any
/// other error is recorded as a test issue).
func schedulerError<T>(_ body: () async throws -> T) async -> SchedulerError? {
    do {
        _ = try await body()
        return nil
    } catch let error as SchedulerError {
        return error
    } catch {
        Issue.record("expected a SchedulerError, got \(error)")
        return nil
    }
}

@Suite("Scheduler harness")
struct SchedulerHarnessTests {
    @Test func delayGraphHasTheRequestedSteps() async throws {
        let harness = try SchedulerHarness(graphs: [(SchedulerHarness.delayGraph(id: "g", delayMs: 1, steps: 4), nil)])
        let (_, graphs) = try await harness.openRuntime()
        #expect(graphs.entry("g")?.graph.ir.nodes.count == 4)
    }
}
