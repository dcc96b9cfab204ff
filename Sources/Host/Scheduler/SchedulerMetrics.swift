import Foundation
import Metrics
import StargraphCore

/// The scheduler's swift-metrics instruments (served as Prometheus by `stargraph serve`):
/// `stargraph_runs_total{status}` per run reaching a final status, `stargraph_run_duration_seconds`
/// from start (or creation) to finish, and `stargraph_queue_depth`, the runs queued and not started.
package struct SchedulerMetrics: Sendable {
    private let finishedRuns: [RunStatus: Counter]
    private let runDuration: Metrics.Timer
    private let queueDepth: Gauge

    package init() {
        finishedRuns = Dictionary(uniqueKeysWithValues: RunStatus.allCases.filter(\.isTerminal).map { status in
            (status, Counter(label: "stargraph_runs_total", dimensions: [("status", status.rawValue)]))
        })
        runDuration = Metrics.Timer(label: "stargraph_run_duration_seconds", preferredDisplayUnit: .seconds)
        queueDepth = Gauge(label: "stargraph_queue_depth")
    }

    /// Counts `run` when its status is final.
    package func record(_ run: RunRecord) {
        guard let counter = finishedRuns[run.status] else { return }
        counter.increment()
        let end = run.finishedAt ?? run.updatedAt
        runDuration.recordInterval(since: run.startedAt ?? run.createdAt, until: end)
    }

    package func recordQueueDepth(_ depth: Int) {
        queueDepth.record(depth)
    }
}

extension Metrics.Timer {
    /// Records the time from `start` to `end` (zero when `end` is earlier).
    fileprivate func recordInterval(since start: Date, until end: Date) {
        recordNanoseconds(Int64(max(0, end.timeIntervalSince(start)) * 1_000_000_000))
    }
}
