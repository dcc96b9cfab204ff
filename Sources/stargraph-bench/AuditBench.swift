import Foundation
import StargraphHost
import StargraphAudit

/// What the audit log costs a step: the pipeline run serially with no log, with a hash-chained
/// and anchored log, and with the same log signed (one Ed25519 signature per record).
enum AuditBench {
    static func run(examples: URL, scratch: URL, runs: Int) async throws {
        let key = scratch.appendingPathComponent("audit.key").path
        _ = try Ed25519KeyFile.loadOrCreate(path: key)
        var baseline: Double?
        for (label, logged, signed) in [("no audit log", false, false), ("audit log, anchored", true, false), ("audit log, anchored, signed", true, true)] {
            var options = StargraphRuntime.Options()
            let name = "audit-\(logged)-\(signed)"
            options.database = scratch.appendingPathComponent("\(name).sqlite").path
            options.auditLogPath = logged ? scratch.appendingPathComponent("\(name).jsonl").path : nil
            options.auditSigningKeyPath = signed ? key : nil
            let runtime = try await StargraphRuntime.open(options)
            let graph = try runtime.compiler.compile(path: examples.appendingPathComponent("pipeline.yaml").path)
            for _ in 0..<20 { _ = try await runtime.engine.start(graph, inputs: ["message": "warm"]) }
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<runs { _ = try await runtime.engine.start(graph, inputs: ["message": .string("m\(index)")]) }
            let perStep = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(runs * graph.ir.nodes.count)
            let ratio = baseline.map { String(format: "  (%.2f× no log)", perStep / $0) } ?? ""
            print(String(format: "pipeline.yaml serial, %-28@ %8.1f µs/step%@", label as NSString, perStep, ratio as NSString))
            baseline = baseline ?? perStep
        }
    }
}
