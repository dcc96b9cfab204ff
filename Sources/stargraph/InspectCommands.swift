import ArgumentParser
import Foundation
import StargraphHost
import StargraphCore
import StargraphEngine

/// `stargraph validate GRAPH...`: loads and checks graphs without running them.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check graph files; print `ok <graph_id> <graph_hash>` or their errors (exit 0/2).")

    @Argument(help: "Graph YAML files.", completion: .file(extensions: ["yaml", "yml"]))
    var graphs: [String]

    @OptionGroup var manifest: ManifestOptions

    func validate() throws {
        if graphs.isEmpty { throw ValidationError("give at least one graph file") }
    }

    func run() throws {
        let (plugins, compiler) = try manifest.loadForChecking()
        defer { plugins?.close() }
        var failed = false
        for path in graphs {
            do {
                let graph = try compiler.compile(path: path)
                print("ok \(graph.id) \(graph.hash)")
            } catch {
                failed = true
                printError(error.description)
            }
        }
        if failed { throw ExitCode(CLIFailure.usage) }
    }
}

/// `stargraph inspect RUN_ID`: a run's timeline, or one step in full.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a run's timeline (step, node, rules fired, transition, changed fields) or one step's full state.")

    @Argument(help: "The run id.")
    var runId: String

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Show this step's full state, facts, output and recorded host values.")
    var step: Int?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Print the RunDiff of this other run (of the same graph) against RUN_ID, as canonical JSON.")
    var diff: String?

    func run() async throws {
        let runtime = try await database.runtime(executing: false)
        defer { runtime.close() }
        guard let run = try await runtime.store.run(runId) else { throw EngineError.runNotFound(runId) }
        if let other = diff {
            print(CanonicalJSON.encode(try await Counterfactuals(engine: runtime.engine).diff(base: runId, other: other).json))
            return
        }
        if let step {
            guard let checkpoint = try await runtime.store.checkpoint(runId: runId, step: step) else {
                throw UsageError(message: "run \(runId) has no step \(step); it has steps 0..<\(run.stepCount)")
            }
            printStep(checkpoint)
            return
        }
        let timeline = try await RunTimeline.load(run, engine: runtime.engine)
        if json {
            print(PrettyJSON.encode(timeline.json))
            return
        }
        print("run     \(run.runId)  \(run.status.rawValue)")
        print("graph   \(run.graphId)  \(run.graphHash)")
        if let parent = run.parentRunId {
            print("parent  \(parent)  forked at step \(run.fromStep.map(String.init) ?? "?")")
            print("mutation \(CanonicalJSON.encode(run.mutation ?? .null))")
        }
        if let errorClass = run.errorClass { print("error   \(errorClass): \(run.errorCause ?? "")") }
        let rows = timeline.entries.map { entry in
            [String(entry.step), entry.node, entry.rulesFired.joined(separator: ","), entry.transition,
             entry.changedFields.joined(separator: ",")]
        }
        printTable(header: ["step", "node", "rules fired", "transition", "changed"], rows: rows)
    }

    private func printStep(_ checkpoint: CheckpointRecord) {
        let members: [String: JSONValue] = [
            "run_id": .string(checkpoint.runId), "step": .number(Double(checkpoint.step)),
            "branch_id": .string(checkpoint.branchId), "node": .string(checkpoint.node),
            "state": checkpoint.state, "facts": checkpoint.facts, "next_action": checkpoint.nextAction,
            "output": checkpoint.output, "effects": checkpoint.effects,
            "rules_fired": .array(checkpoint.rulesFired.map(JSONValue.string)),
            "input_hash": .string(checkpoint.inputHash), "output_hash": .string(checkpoint.outputHash),
            "graph_hash": .string(checkpoint.graphHash), "ts": .string(Timestamps.format(checkpoint.ts)),
        ]
        print(json ? CanonicalJSON.encode(.object(members)) : PrettyJSON.encode(.object(members)))
    }

    private func printTable(header: [String], rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }
}
