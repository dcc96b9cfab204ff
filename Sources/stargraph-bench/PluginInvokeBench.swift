// The cost of one node call through the plugin ABI (state → canonical JSON → plugin parses,
// runs, encodes → host parses the patch) against the same node written in-process in Swift.
import Foundation
import Logging
import StargraphHost
import StargraphCore
import StargraphEngine
import StargraphPlugins

/// `hello.greet` in-process: the baseline a plugin call is compared with.
struct InProcessGreet: NodeInstance {
    func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
        NodeResult(patch: ["greeting": .string("Hello, \(state["name"]?.stringValue ?? "")!")])
    }
}

enum PluginInvokeBench {
    /// Mean nanoseconds per call of `node` on `state`, after a warm-up.
    static func nanosPerCall(_ node: any NodeInstance, state: [String: JSONValue], context: NodeContext, calls: Int) async throws -> Double {
        for _ in 0..<1000 { _ = try await node.invoke(state: state, context: context) }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { _ = try await node.invoke(state: state, context: context) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(calls)
    }

    /// Prints the ABI overhead of `hello.greet` (from the manifest at `manifestPath`), or why
    /// it could not be measured.
    static func run(manifestPath: String) async throws {
        let plugins: PluginSet
        do {
            plugins = try PluginSet.load(manifestPath: manifestPath)
        } catch {
            print("plugin invoke overhead:   skipped (\(error.reason)); build the plugins too: swift build -c release")
            return
        }
        defer { plugins.close() }
        let state: [String: JSONValue] = ["name": "Ada", "message": "hello", "greeting": "", "count": 3, "tags": ["a", "b"]]
        let context = NodeContext(runId: "run-bench", nodeId: "n", step: 0, host: HostEffects(), logger: Logger(label: "bench"))
        let calls = 200_000
        let direct = try await nanosPerCall(InProcessGreet(), state: state, context: context, calls: calls)
        print(String(format: "in-process Swift node:    %8.2f µs/call", direct / 1000))
        for (kind, label) in [("hello.greet", "Swift SDK"), ("text.shout", "plain C")] {
            guard let nodeKind = plugins.registry.kind(kind) else { continue }
            let node = try nodeKind.makeNode(NodeSpec(id: "n", kind: kind), schema: StateSchema(fields: []))
            let abi = try await nanosPerCall(node, state: state, context: context, calls: calls)
            let figures = String(format: "%8.2f µs/call  (%.2f µs/call in all", (abi - direct) / 1000, abi / 1000)
            print("plugin ABI overhead:      \(figures), \(label) \(kind); target ≤ 5)")
        }
    }
}
