import ArgumentParser
import Foundation
import StargraphHost
import StargraphCore
import StargraphEngine

/// `stargraph replay RUN_ID`: forks a counterfactual run and executes it to its end.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Fork a counterfactual run from a persisted step, apply a mutation, and run the fork to its end.",
        discussion: "stdout: `cf_run_id=cf-…`; with --diff, the RunDiff as one line of canonical JSON on stdout and `cf_run_id=…` on stderr. Exit 0 when the fork is done, 1 when it failed, 3 when it awaits input or is paused.")

    @Argument(help: "The parent run id.")
    var runId: String

    @OptionGroup var database: DatabaseOptions

    @Option(help: "CounterfactualMutation JSON file (state_overrides, facts_assert, facts_retract, rule_pack_version, node_output_overrides, respond_payloads).", completion: .file(extensions: ["json"]))
    var mutation: String?

    @Option(help: "Fork from the state entering this step.")
    var fromStep: Int = 0

    @Flag(help: "Print the RunDiff against the parent as canonical JSON.")
    var diff = false

    @Flag(help: "Execute side-effecting nodes that have no recording in the parent instead of failing.")
    var live = false

    @Option(name: .customLong("log-file"), help: "Append the fork's events to this audit log.", completion: .file())
    var logFile: String?

    @OptionGroup var auditSigning: AuditSigningOptions

    func run() async throws {
        let document = try mutation.map(Self.readMutation)
        let runtime = try await database.runtime(auditLog: logFile, auditSigning: auditSigning)
        defer { runtime.close() }
        let replay = try await Counterfactuals(engine: runtime.engine)
            .replay(parentRunId: runId, fromStep: fromStep, mutation: document, live: live)
        if diff {
            print(CanonicalJSON.encode(replay.diff.json))
            printError("cf_run_id=\(replay.run.runId)")
        } else {
            print("cf_run_id=\(replay.run.runId)")
        }
        if let failure = replay.run.errorClass, replay.run.status == .failed {
            printError("the fork failed: \(failure): \(replay.run.errorCause ?? "")")
        }
        throw ExitCode(CLIFailure.code(for: replay.run.status))
    }

    private static func readMutation(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError(message: "cannot read mutation file \(path)")
        }
        do {
            return try JSONParser.parse(bytes: Array(data))
        } catch {
            throw UsageError(message: "mutation file \(path) is not valid JSON: \(error)")
        }
    }
}
