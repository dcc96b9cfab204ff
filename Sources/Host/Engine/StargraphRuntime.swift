import Logging

/// One host's working set — store, node kinds, graph compiler, engine — opened from the
/// options every command shares. The CLI and the server compose the host through it.
public final class StargraphRuntime: Sendable {
    /// Where and how to open the host's state.
    public struct Options: Sendable {
        /// SQLite file; DESIGN §7's default lets every command meet without flags.
        public var databasePath: String = RunStore.defaultPath
        public var durability: Durability = .normal
        /// JSONL audit log to append run events to, if any.
        public var auditLogPath: String?
        /// `false` for read-only commands: a missing database is an error, never created.
        public var createDatabase: Bool = true

        public init() {}
    }

    public let store: RunStore
    public let compiler: GraphCompiler
    public let engine: RunEngine

    /// Opens (and migrates) the database and audit log, with the built-in node kinds plus
    /// `registry`'s.
    public init(options: Options, registry: NodeKindRegistry = .builtins(), logger: Logger = Logger(label: "stargraph")) throws {
        store = try RunStore(path: options.databasePath, durability: options.durability, createIfMissing: options.createDatabase)
        compiler = GraphCompiler(registry: registry)
        let audit = try options.auditLogPath.map { try AuditLog(path: $0) }
        engine = RunEngine(store: store, compiler: compiler, audit: audit, logger: logger)
    }

    /// Compiles the graph at `path`, checks `inputs` (`key=value`) against it, and runs it to
    /// the end (done, failed, awaiting input or paused).
    public func run(
        graphPath: String, inputs: [String], maxSteps: Int? = nil, observer: (any RunObserver)? = nil
    ) async throws -> RunRecord {
        let graph = try compiler.compile(path: graphPath)
        let values = try RunInputs.parse(pairs: inputs, schema: graph.ir.stateSchema)
        let run = try await engine.createRun(graph, inputs: values, maxSteps: maxSteps)
        return try await engine.execute(runId: run.runId, observer: observer)
    }
}
