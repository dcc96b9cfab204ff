import Foundation
import StargraphHost
import StargraphEngine

/// Time to fork and fully replay a 100-step run, against running it fresh.
func replayBenchmark(runtime: StargraphRuntime) async throws {
    let loop = """
    ir_version: "1.0.0"
    id: bench:loop100
    nodes:
      - {id: inc, kind: set, config: {values: {count: 1}}}
    state_schema:
      count: {type: int, default: 0, reducer: sum}
    rules:
      - {id: again, when: {node: inc, count: {lt: 100}}, then: [{kind: goto, target: inc}]}
      - {id: stop, when: {node: inc, count: {ge: 100}}, then: [{kind: halt}]}
    """
    let graph = try runtime.compiler.compile(text: loop, sourceName: "loop100.yaml")
    let forks = Counterfactuals(engine: runtime.engine)
    var parent = try await runtime.engine.start(graph, inputs: [:])
    _ = try await forks.replay(parentRunId: parent.runId)  // warm-up
    let rounds = 20
    var fresh = 0.0
    var replayed = 0.0
    for _ in 0..<rounds {
        var started = DispatchTime.now().uptimeNanoseconds
        parent = try await runtime.engine.start(graph, inputs: [:])
        fresh += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        started = DispatchTime.now().uptimeNanoseconds
        let fork = try await forks.replay(parentRunId: parent.runId)
        replayed += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        precondition(fork.run.stepCount == 100 && fork.diff.stateDeltas.isEmpty, "replay diverged")
    }
    print(String(format: "100-step run fresh:       %8.2f ms", fresh / Double(rounds) * 1000))
    print(String(format: "fork + replay + diff:     %8.2f ms  (ratio %.2f to fresh)", replayed / Double(rounds) * 1000, replayed / fresh))
}
