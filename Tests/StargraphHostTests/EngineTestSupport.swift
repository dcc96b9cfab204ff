import Foundation
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphSQLite
@testable import StargraphStore
@testable import StargraphEngine
@testable import StargraphScheduler

extension SchedulerRuntime {
    /// The store as the SQLite store every test runtime opens (a temporary file), for the
    /// tests that use its synchronous reads.
    var sqliteStore: SQLiteRunStore {
        guard let store = store as? SQLiteRunStore else { preconditionFailure("test runtimes open SQLite files") }
        return store
    }
}

extension StargraphRuntime {
    /// ``SchedulerRuntime/sqliteStore`` of this runtime's store.
    var sqliteStore: SQLiteRunStore { scheduling.sqliteStore }
}

/// A runtime on a fresh temporary database, for engine tests.
struct EngineHarness {
    let runtime: StargraphRuntime
    let directory: URL

    init(auditLog: Bool = false, nodeKinds: [any NodeKind] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var options = StargraphRuntime.Options()
        options.database = directory.appendingPathComponent("runs.sqlite").path
        options.auditLogPath = auditLog ? directory.appendingPathComponent("audit.jsonl").path : nil
        options.nodeKinds = nodeKinds
        runtime = try await StargraphRuntime.open(options)
    }

    var engine: RunEngine { runtime.engine }
    var store: SQLiteRunStore { runtime.sqliteStore }

    func compile(_ yaml: String) throws -> CompiledGraph {
        try runtime.compiler.compile(text: yaml, sourceName: "test.yaml")
    }

    /// Runs `yaml` with `inputs` to the end.
    func run(_ yaml: String, inputs: [String: JSONValue] = [:], maxSteps: Int? = nil) async throws -> RunRecord {
        let graph = try compile(yaml)
        let run = try await engine.createRun(graph, inputs: inputs, maxSteps: maxSteps)
        return try await engine.execute(runId: run.runId)
    }

    func nodes(_ run: RunRecord) throws -> [String] {
        try store.checkpoints(runId: run.runId).map(\.node)
    }

    static func fixture(_ name: String) throws -> String {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("graphs").appendingPathComponent(name)
        return try String(contentsOf: url, encoding: .utf8)
    }
}
