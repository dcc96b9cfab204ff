import Prometheus
import StargraphCore

/// The text `GET /metrics` serves (Prometheus text format 0.0.4): the registry's metrics, then
/// the process's, every family with a `# HELP` line. swift-metrics instruments carry no help
/// text, so it lives here, by metric name; a test checks that every family served has one.
enum MetricsExposition {
    static let help: [String: String] = [
        "stargraph_runs_total": "Runs that reached a final status, by status.",
        "stargraph_run_duration_seconds": "Time from a run's start (or creation) to its final status, in seconds.",
        "stargraph_step_duration_seconds": "Time to execute and checkpoint one step, in seconds.",
        "stargraph_queue_depth": "Runs queued and not yet started.",
        "stargraph_store_commits_total": "Transactions committed by the store's writer.",
        "stargraph_store_writes_total": "Writes (steps, runs, queue changes) committed; writes per commit is the mean group-commit size.",
        "stargraph_plugin_invoke_errors_total": "Plugin node invokes that failed their run, by node kind.",
        "stargraph_http_requests_total": "HTTP requests answered, by route template, method and status.",
        "stargraph_http_request_duration_seconds": "Time to answer an HTTP request, by route template, method and status, in seconds.",
    ]

    /// The exposition of `registry` and this process.
    static func render(_ registry: PrometheusCollectorRegistry) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(16_384)
        registry.emit(into: &text)
        var annotated = withHelp(text)
        ProcessMetrics.sample().emit(into: &annotated)
        return annotated
    }

    /// The audit log's head: `stargraph_audit_head_seq` and, as labels of an info metric, the
    /// hashes a witness keeps.
    static func emit(_ head: AuditHead, into text: inout [UInt8]) {
        text.append(contentsOf: """
            # HELP stargraph_audit_head_seq The seq of the audit log's last record.
            # TYPE stargraph_audit_head_seq gauge
            stargraph_audit_head_seq \(head.seq)
            # HELP stargraph_audit_head_info The audit log's head: the last record's line sha256 and the chain's first-line sha256.
            # TYPE stargraph_audit_head_info gauge
            stargraph_audit_head_info{sha256="\(head.lineSHA256)",chain_sha256="\(head.chainSHA256)"} 1

            """.utf8)
    }

    /// `text` with `# HELP name …` before each `# TYPE name …` line whose name has help.
    static func withHelp(_ text: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(text.count + help.count * 96)
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: "# TYPE ".utf8) {
                let name = String(decoding: line.dropFirst(7).prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
                if let text = help[name] { result.append(contentsOf: "# HELP \(name) \(text)\n".utf8) }
            }
            result.append(contentsOf: line)
            result.append(UInt8(ascii: "\n"))
        }
        // `split` keeps the empty piece after the final newline: drop the newline added for it.
        if text.last == UInt8(ascii: "\n") { result.removeLast() }
        return result
    }
}
