import ArgumentParser
import Foundation
import StargraphCore
import StargraphHost
import StargraphStore
import StargraphEngine

/// `stargraph runs`: the runs stored in a database, newest first, filtered like `GET /v1/runs`.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in a database, newest first: run id, status, graph, steps, created.")

    @Option(name: .customLong("db"), help: "Database: a SQLite file path, sqlite:PATH, or postgresql://USER:PASSWORD@HOST:PORT/DB (default: $STARGRAPH_DB, else \(StoreLocation.defaultDatabase)).", completion: .file())
    var database: String?

    @Option(help: "Only runs with this status: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: RunStatus?

    @Option(help: "Only runs of this graph id.")
    var graph: String?

    @Option(help: "Only the forks of this run.")
    var parent: String?

    @Option(help: "At most this many runs (1...\(Self.maxLimit)).")
    var limit = 20

    @Flag(help: "Print JSON ({items, total}, each item a RunSummary) instead of a table.")
    var json = false

    static let maxLimit = 1000

    func validate() throws {
        guard (1...Self.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(Self.maxLimit), not \(limit)")
        }
    }

    func run() async throws {
        let store = try await StargraphRuntime.openStore(StoreLocation.database(flag: database))
        let page = try await store.listRuns(RunQuery(status: status, graphId: graph, parentRunId: parent, limit: limit))
        try await store.close()
        if json {
            print(PrettyJSON.encode([
                "items": .array(page.runs.map { RunSummary($0).json }), "total": .number(Double(page.total)),
            ]))
            return
        }
        guard !page.runs.isEmpty else {
            print(page.total == 0 ? "no runs match" : "no runs on this page")
            return
        }
        let rows = [["RUN_ID", "STATUS", "GRAPH", "STEPS", "CREATED"]] + page.runs.map { run in
            [run.runId, run.status.rawValue, run.graphId, String(run.stepCount), Timestamps.format(run.createdAt)]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        if page.total > page.runs.count {
            print("(\(page.runs.count) of \(page.total) runs; pass --limit to see more)")
        }
    }
}

extension RunStatus: ExpressibleByArgument {}
