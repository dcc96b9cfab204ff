import ArgumentParser
import Foundation
import StargraphHost
import Synchronization
import StargraphCore
import StargraphStore
import StargraphEngine

/// `stargraph run GRAPH`: runs a graph to the end, one checkpoint per step.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a graph, checkpointing every step.",
        discussion: "The last stdout line is always `run_id=<id> status=<status>`. Exit 0 done, 1 failed, 2 usage error, 3 awaiting input or paused.")

    @Argument(help: "Graph YAML file, or the id of a graph the manifest registers (see `stargraph graphs`).", completion: .file(extensions: ["yaml", "yml"]))
    var graph: String

    @OptionGroup var manifest: ManifestOptions

    @Option(parsing: .upToNextOption, help: "Initial state as key=value (coerced by the state_schema type).")
    var inputs: [String] = []

    @Option(help: "Database for the checkpoints: a SQLite file path, sqlite:PATH, or postgresql://USER:PASSWORD@HOST:PORT/DB (default: $STARGRAPH_DB, else \(StoreLocation.defaultDatabase)).", completion: .file())
    var checkpoint: String?

    @Option(name: .customLong("log-file"), help: "Append run events to this hash-chained JSONL audit log.", completion: .file())
    var logFile: String?

    @OptionGroup var auditSigning: AuditSigningOptions

    @Flag(help: "Print only the final run_id line.")
    var noSummary = false

    @Flag(help: "Print the run summary as JSON.")
    var json = false

    @Option(help: "Fail the run after this many steps (default: the graph's max_steps, else 10000).")
    var maxSteps: Int?

    @Option(help: "normal (synchronous=NORMAL) or full (fsync every commit).")
    var durability: Durability = .normal

    func validate() throws {
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
    }

    func run() async throws {
        var options = StargraphRuntime.Options()
        options.database = StoreLocation.database(flag: checkpoint)
        options.durability = durability
        options.auditLogPath = logFile
        options.auditSigningKeyPath = try auditSigning.keyPath(signing: logFile, logFlag: "--log-file")
        let runtime = try await manifest.runtime(options)
        defer { runtime.close() }
        let run = try await ProgressPrinter.reporting { progress in
            try await runtime.run(graphPath: graph, inputs: inputs, maxSteps: maxSteps, observer: progress)
        }
        if json {
            print(CanonicalJSON.encode(RunSummary(run).json))
        } else if !noSummary {
            try await SummaryPrinter(store: runtime.store).print(run)
        }
        print("run_id=\(run.runId) status=\(run.status.rawValue)")
        throw ExitCode(CLIFailure.code(for: run.status))
    }
}

/// `stargraph resume RUN_ID`: continues a paused, interrupted or killed run.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a paused, input-waiting or interrupted run from its last checkpoint.")

    @Argument(help: "The run id (run-…).")
    var runId: String

    @OptionGroup var database: DatabaseOptions

    @Option(help: "JSON object answering the run's interrupt (applied as a state patch).")
    var response: String?

    @Option(name: .customLong("log-file"), help: "Append run events to this audit log.", completion: .file())
    var logFile: String?

    @OptionGroup var auditSigning: AuditSigningOptions

    @Flag(help: "Print only the final run_id line.")
    var noSummary = false

    @Option(help: "The graph file as it is now; resuming is refused when it no longer hashes as the run's graph. Without it, the manifest's graph of the same id is checked.", completion: .file(extensions: ["yaml", "yml"]))
    var graph: String?

    func run() async throws {
        let answer: JSONValue?
        do {
            answer = try response.map { try JSONParser.parse($0) }
        } catch {
            throw UsageError(message: "--response is not valid JSON: \(error)")
        }
        let runtime = try await database.runtime(auditLog: logFile, auditSigning: auditSigning)
        defer { runtime.close() }
        let current = try graph.map { try runtime.compiler.compile(path: $0) }
        let run = try await ProgressPrinter.reporting { progress in
            try await runtime.resume(runId: runId, response: answer, currentGraph: current, observer: progress)
        }
        if !noSummary { try await SummaryPrinter(store: runtime.store).print(run) }
        print("run_id=\(run.runId) status=\(run.status.rawValue)")
        throw ExitCode(CLIFailure.code(for: run.status))
    }
}

/// Progress on a terminal's stderr: a line when a step starts (`step 2  fetch  …`), completed in
/// place when it is committed with its transition and elapsed time (`step 2  fetch  → goto(b)  1.2 s`).
final class ProgressPrinter: RunObserver {
    /// The step that started and has not been committed yet, with its start time.
    private let pending = Mutex<(step: Int, started: ContinuousClock.Instant)?>(nil)

    func stepStarted(_ step: Int, node: String, run: RunRecord) {
        pending.withLock { $0 = (step, .now) }
        FileHandle.standardError.write(Data("  step \(step)  \(node)  …".utf8))
    }

    func stepCommitted(_ checkpoint: CheckpointRecord, run: RunRecord) {
        let started = pending.withLock { pending in
            defer { pending = nil }
            return pending?.step == checkpoint.step ? pending?.started : nil
        }
        let elapsed = started.map { "  " + Self.format(ContinuousClock.now - $0) } ?? ""
        // Carriage return and erase-line: the committed line replaces the started one.
        printError("\r\u{1B}[2K  step \(checkpoint.step)  \(checkpoint.node)  → \(RunTimeline.describe(checkpoint.nextAction))\(elapsed)")
    }

    /// Runs `body` with a printer when stderr is a terminal (else `nil`), ending its last line.
    static func reporting<T>(_ body: (ProgressPrinter?) async throws -> T) async throws -> T {
        let progress = isatty(STDERR_FILENO) != 0 ? ProgressPrinter() : nil
        defer { progress?.finish() }
        return try await body(progress)
    }

    /// Ends a started line that no commit completed (the step failed or the run was stopped).
    private func finish() {
        if pending.withLock({ $0.take() }) != nil { printError("") }
    }

    private static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return milliseconds < 1000 ? String(format: "%.0f ms", milliseconds) : String(format: "%.1f s", milliseconds / 1000)
    }
}

/// Prints the human summary of a finished (or waiting) run.
struct SummaryPrinter {
    let store: any RunStore

    func print(_ run: RunRecord) async throws {
        let nodes = try await store.checkpoints(runId: run.runId).map(\.node)
        Swift.print("graph   \(run.graphId) \(run.graphHash)")
        Swift.print("status  \(run.status.rawValue)")
        Swift.print("steps   \(nodes.count): \(nodes.joined(separator: " → "))")
        Swift.print("state   \(CanonicalJSON.encode(run.state))")
        if let errorClass = run.errorClass {
            Swift.print("error   \(errorClass): \(run.errorCause ?? "")")
        }
        if run.status == .awaitingInput, let prompt = run.nextAction["decision"]?["prompt"]?.stringValue {
            Swift.print("input   \(prompt) — answer with: stargraph resume \(run.runId) --response '{...}'")
        }
    }
}
