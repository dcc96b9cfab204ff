// Engine benchmarks: step throughput and cost, plugin call cost, fork-and-replay cost. Prints figures; asserts nothing.
import Foundation
import StargraphHost
import StargraphCore
import StargraphSQLite
import StargraphStore

// As `stargraph` does, before any thread uses SQLite.
print(SQLiteProcessSettings.apply())
let examples = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "examples")
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sg-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

// 1. pipeline.yaml in-process with durable checkpoints.
var options = StargraphRuntime.Options()
options.database = scratch.appendingPathComponent("bench.sqlite").path
let runtime = try await StargraphRuntime.open(options)
let graph = try runtime.compiler.compile(path: examples.appendingPathComponent("pipeline.yaml").path)
let steps = graph.ir.nodes.count
for _ in 0..<20 {  // warm-up
    _ = try await runtime.engine.start(graph, inputs: ["message": "warm"])
}
/// A run count, overridable from the environment (longer runs for profiling with perf).
func runCount(_ variable: String, default value: Int) -> Int {
    ProcessInfo.processInfo.environment[variable].flatMap { Int($0) } ?? value
}
let serialRuns = runCount("SERIAL_RUNS", default: 300)
let serialTime = try await seconds {
    for index in 0..<serialRuns {
        _ = try await runtime.engine.start(graph, inputs: ["message": .string("m\(index)")])
    }
}
let concurrentRuns = runCount("CONCURRENT_RUNS", default: 2000)
let concurrentTime = try await seconds {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<concurrentRuns {
            if index >= 64 { try await group.next() }
            group.addTask {
                _ = try await runtime.engine.start(graph, inputs: ["message": .string("c\(index)")])
            }
        }
        try await group.waitForAll()
    }
}
let serialStep = serialTime / Double(serialRuns * steps)
print(String(format: "pipeline.yaml serial:     %8.0f steps/s  (%.1f µs/step, %d runs)", 1 / serialStep, serialStep * 1e6, serialRuns))
print(String(format: "pipeline.yaml 64 at once: %8.0f steps/s  (%d runs, group commit)", Double(concurrentRuns * steps) / concurrentTime, concurrentRuns))

// 1b. The same serially without and with an audit log (anchored, then also signed).
try await AuditBench.run(examples: examples, scratch: scratch, runs: serialRuns)

// 2. A raw SQLite insert-and-commit of an equal row, same process, same pragmas.
let sample = try await runtime.store.checkpoints(runId: runtime.store.listRuns(RunQuery(limit: 1)).runs[0].runId)[1]
let texts = [sample.runId, "", "main", sample.node, CanonicalJSON.encode(sample.state), CanonicalJSON.encode(sample.facts),
             CanonicalJSON.encode(sample.nextAction), CanonicalJSON.encode(sample.output), sample.inputHash, sample.outputHash,
             sample.graphHash, "[\"r-b-to-c\"]", "[]", Timestamps.format(sample.ts)]
let rawRows = 5000
let rawTime = RawInsertBaseline.seconds(
    inserting: rawRows, rowsLike: texts, into: scratch.appendingPathComponent("raw.sqlite").path)
let rawPerRow = rawTime / Double(rawRows)
print(String(format: "raw SQLite insert+commit: %8.1f µs/row", rawPerRow * 1e6))
print(String(format: "engine step / raw insert: %8.2f  (target ≤ 2.0)", serialStep / rawPerRow))

// 3. One plugin node call through the C ABI minus the same node in-process.
try await PluginInvokeBench.run(manifestPath: examples.appendingPathComponent("../manifests/default.yaml").standardizedFileURL.path)

// 4. Forking and fully replaying a 100-step run against running it fresh.
try await replayBenchmark(runtime: runtime)
