import ArgumentParser
import Foundation
import Logging
import StargraphHost
import StargraphSQLite
import StargraphServe
import StargraphCore
import StargraphStore
import StargraphAudit
import StargraphEngine
import StargraphPlugins
import StargraphBroker

/// The process entry point: runs the command on Swift's cooperative threads while the main thread
/// waits. An `async` main would end the main thread in `dispatch_main`, whose `pthread_exit`
/// unwinds it through the `.eh_frame` index, which then stays resident in a release server's
/// idle memory (docs/performance.md).
@main
enum Entry {
    static func main() {
        // Before any other thread exists: SQLite's process settings cannot be changed later.
        let sqlite = SQLiteProcessSettings.apply()
        let finished = DispatchSemaphore(value: 0)
        // Detached: `main` is on the main actor, which this thread is about to block.
        Task.detached {
            await Stargraph.runFromCommandLine(sqlite: sqlite)
            finished.signal()
        }
        finished.wait()
    }
}

/// The `stargraph` command: a thin adapter over the StargraphHost library.
struct Stargraph: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stargraph",
        abstract: "Run, inspect and serve stateful, rule-routed graphs.",
        version: StargraphVersion.current,
        subcommands: [
            RunCommand.self, ResumeCommand.self, ValidateCommand.self, InspectCommand.self,
            RunsCommand.self, VerifyAuditCommand.self, AuditKeyCommand.self, ReplayCommand.self, ServeCommand.self, PluginsCommand.self, GraphsCommand.self, BrokerCommand.self,
        ])

    /// Parses, runs, and maps every failure to the documented exit codes: 2 for usage
    /// errors and bad input, 1 for other failures. `sqlite` is logged at debug level.
    static func runFromCommandLine(sqlite: SQLiteProcessSettings.Outcome) async {
        LoggingSystem.bootstrap { label in
            let level = ProcessInfo.processInfo.environment["STARGRAPH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            var handler = LazyMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level ?? .warning
            return handler
        }
        Logger(label: "stargraph").debug("\(sqlite)")
        if let unknown = CommandSuggestion.unknownSubcommand(in: CommandLine.arguments.dropFirst(), known: subcommandNames) {
            printError("error: \(unknown)")
            Foundation.exit(CLIFailure.usage)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(report(error))
        }
    }

    /// The names `stargraph` accepts as its first word.
    static var subcommandNames: [String] {
        configuration.subcommands.map { $0._commandName } + ["help"]
    }

    private static func report(_ error: Error) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        if let usage = CLIFailure.usageMessage(for: error) {
            FileHandle.standardError.write(Data("error: \(usage)\n".utf8))
            return CLIFailure.usage
        }
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if code == .success {
            print(message)
            return 0
        }
        FileHandle.standardError.write(Data((message.isEmpty ? "" : message + "\n").utf8))
        return code == .validationFailure ? CLIFailure.usage : code.rawValue
    }
}

/// Exit codes and the mapping of library errors onto them.
enum CLIFailure {
    static let done: Int32 = 0
    static let failed: Int32 = 1
    static let usage: Int32 = 2
    static let waiting: Int32 = 3

    /// The message for errors that are the caller's to fix (exit 2), `nil` for others: the
    /// library's words, then what to do about them at the command line.
    static func usageMessage(for error: Error) -> String? {
        let message: String
        switch error {
        case let error as GraphCompileError: message = error.description
        case let error as InputError: message = error.description
        case let error as EngineError: message = error.description
        case let error as StoreError: message = error.description
        case let error as StoreLocationError: message = error.description
        case let error as UsageError: message = error.message
        case let error as MutationError: message = error.description
        case let error as CounterfactualError: message = error.description
        case let error as PluginLoadError: message = error.description
        case let error as BrokerConfigurationError: message = error.description
        case let error as ServeError: message = error.description
        case let error as Ed25519KeyFileError: message = error.description
        default: return nil
        }
        return hint(for: error).map { "\(message); \($0)" } ?? message
    }

    /// The flag or command that fixes `error`, for errors whose library message cannot name it.
    static func hint(for error: Error) -> String? {
        switch error {
        case StoreError.runNotFound, EngineError.runNotFound:
            "list runs with `stargraph runs`, or check the id and the --db path"
        case StoreError.databaseNotFound:
            "pass the --db path of an existing database, or run a graph first to create it"
        case EngineError.awaitingInput(let runId, _):
            "answer it with `stargraph resume \(runId) --response '{...}'`"
        case CounterfactualError.fromStepOutOfRange(_, _, let steps) where steps > 0:
            "pass a --from-step between 0 and \(steps - 1)"
        default:
            nil
        }
    }

    /// The exit code for a run's final status.
    static func code(for status: RunStatus) -> Int32 {
        switch status {
        case .done: done
        case .awaitingInput, .paused: waiting
        default: failed
        }
    }
}

/// A usage error found after parsing (exit 2).
struct UsageError: Error {
    let message: String
}

extension Durability: ExpressibleByArgument {}

/// Options every command that reads existing runs shares: the database (which must exist)
/// and the manifest whose plugins provide the node kinds those runs' graphs use.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "Database: a SQLite file path, sqlite:PATH, or postgresql://USER:PASSWORD@HOST:PORT/DB (default: $STARGRAPH_DB, else \(StoreLocation.defaultDatabase)).", completion: .file())
    var database: String?

    @OptionGroup var manifest: ManifestOptions

    /// The runtime on the existing database, appending to `auditLog` signed by `auditSigning`'s
    /// key; `executing` as in ``ManifestOptions/runtime(_:executing:)``.
    func runtime(auditLog: String? = nil, auditSigning: AuditSigningOptions? = nil, executing: Bool = true) async throws -> StargraphRuntime {
        var options = StargraphRuntime.Options()
        options.database = StoreLocation.database(flag: database)
        options.createDatabase = false
        options.auditLogPath = auditLog
        options.auditSigningKeyPath = try auditSigning?.keyPath(signing: auditLog, logFlag: "--log-file")
        return try await manifest.runtime(options, executing: executing)
    }
}

/// Writes text to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
