import Foundation
import GRDB
import Testing
@testable import StargraphHost

/// `GET /metrics`: help for every family, HTTP requests by route and status, the `process_*`
/// family, and an idle server that writes nothing.
@Suite("Serve: metrics")
struct ServeMetricsTests {
    /// The value of the sample `name{labels}` in `text` (labels in any order), if present.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            let series = parts[0]
            let matches = labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
            if matches, series.hasPrefix(name + "{") || labels.isEmpty { return Double(parts[1]) }
        }
        return nil
    }

    @Test("every family has # HELP before its # TYPE; process_* figures are plausible")
    func helpAndProcessMetrics() async throws {
        try await ServeTestHarness.with { server in
            _ = try await server.request("GET", "/v1/runs")
            let text = String(decoding: try await server.request("GET", "/metrics").body, as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var families: [String] = []
            for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
                let name = String(line.dropFirst(7).split(separator: " ")[0])
                families.append(name)
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "# HELP for \(name)")
            }
            #expect(Set(families).count == families.count, "one # TYPE per family")
            for name in ["stargraph_runs_total", "stargraph_http_requests_total", "process_cpu_seconds_total",
                         "process_resident_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds"] {
                #expect(families.contains(name), "\(name) is served")
            }
            let resident = try #require(Self.sample(text, "process_resident_memory_bytes"))
            #expect(resident > 1_000_000 && resident < 100_000_000_000)
            let open = try #require(Self.sample(text, "process_open_fds"))
            #expect(open >= 3, "stdin, stdout, stderr and the database at least")
            #expect(try #require(Self.sample(text, "process_max_fds")) >= open)
            let started = try #require(Self.sample(text, "process_start_time_seconds"))
            let now = Date().timeIntervalSince1970
            #expect(started <= now + 1 && started > now - 86_400 * 365, "start time \(started) is a recent epoch second")
            #expect(try #require(Self.sample(text, "process_cpu_seconds_total")) > 0)
            #expect(Self.sample(text, "stargraph_runs_total", ["status": "failed"]) != nil, "final statuses are counted from zero")
        }
    }

    @Test("HTTP requests are counted and timed by route template, method and status")
    func httpRequestsByRouteAndStatus() async throws {
        try await ServeTestHarness.with { server in
            let missing = ["route": "/v1/runs/{id}", "method": "GET", "status": "404"]
            let unmatched = ["route": "unmatched", "method": "GET", "status": "404"]
            let before = String(decoding: try await server.request("GET", "/metrics").body, as: UTF8.self)
            for id in ["run-a", "run-b", "run-c"] { _ = try await server.request("GET", "/v1/runs/\(id)") }
            _ = try await server.request("GET", "/no-such-route")
            let after = String(decoding: try await server.request("GET", "/metrics").body, as: UTF8.self)
            let counted = (Self.sample(after, "stargraph_http_requests_total", missing) ?? 0)
                - (Self.sample(before, "stargraph_http_requests_total", missing) ?? 0)
            #expect(counted >= 3, "three 404s on /v1/runs/{id}, not one series per run id")
            #expect(!after.contains("route=\"/v1/runs/run-a\""))
            #expect((Self.sample(after, "stargraph_http_requests_total", unmatched) ?? 0) >= 1)
            let timed = try #require(Self.sample(after, "stargraph_http_request_duration_seconds_count", missing))
            #expect(timed >= 3)
        }
    }

    @Test("an idle server does not refresh its heartbeat; a busy one does")
    func idleServerWritesNothing() async throws {
        try await ServeTestHarness.with(configure: { options, folder in
            let slow = folder.appendingPathComponent("slow.yaml")
            try """
            ir_version: "1.0.0"
            id: "test:slow"
            nodes: [{id: wait, kind: delay, config: {ms: 7000}}]
            """.write(to: slow, atomically: true, encoding: .utf8)
            options.graphPaths.append(slow.path)
        }) { server in
            let database = try DatabaseQueue(path: server.folder.appendingPathComponent("serve.sqlite").path)
            func heartbeat() throws -> String? {
                try database.read { db in try String.fetchOne(db, sql: "SELECT heartbeat_at FROM scheduler_processes") }
            }
            let booted = try #require(try heartbeat())
            try await Task.sleep(for: .milliseconds(6_500))
            #expect(try heartbeat() == booted, "idle for longer than the heartbeat interval, and the heartbeat was rewritten")

            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "test:slow"}"#)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            try await Task.sleep(for: .milliseconds(2_500))
            #expect(try heartbeat() != booted, "holding a claim after idling, the scheduler beats at once")
            _ = try await server.waitForRun(runId)
        }
    }
}
