import Foundation
import Logging
import StargraphCore
import StargraphSQLite
import StargraphStore
import StargraphAudit
import StargraphEngine
import StargraphPlugins

/// One host's working set — store, node kinds, graph compiler, engine — opened from the
/// options every command shares. The CLI and the server compose the host through it.
public final class StargraphRuntime: Sendable {
    /// Where and how to open the host's state.
    public struct Options: Sendable {
        /// SQLite file; the shared default lets every command meet without flags.
        public var databasePath: String = SQLiteRunStore.defaultPath
        public var durability: Durability = .normal
        /// JSONL audit log to append run events to, if any.
        public var auditLogPath: String?
        /// Ed25519 private key file (``Ed25519KeyFile``) that signs every audit record, if any.
        public var auditSigningKeyPath: String?
        /// `false` for read-only commands: a missing database is an error, never created.
        public var createDatabase: Bool = true
        /// Told after every commit that a run's event log grew (the server's streams).
        public var eventSink: (any RunEventSink)?
        /// Node kinds the host adds beside the built-ins (the server's `write_artifact`, `broker`).
        public var nodeKinds: [any NodeKind] = []
        /// Plugin manifest to load, already parsed (``PluginSet/readManifest(at:)``):
        /// its plugins' kinds join the registry before any graph is compiled, and
        /// ``StargraphRuntime/graphs`` holds their graphs plus the manifest's `graphs:`.
        public var manifest: Manifest?
        /// Which of the manifest's libraries may load besides their pins (the serve profile's).
        public var pluginPolicy: PluginLoadPolicy = .permissive

        public init() {}
    }

    public let store: SQLiteRunStore
    public let compiler: GraphCompiler
    public let engine: RunEngine
    /// The graphs this host serves by id (from plugins and the manifest).
    public let graphs: GraphRegistry
    /// The manifest's plugins, when ``Options/manifest`` was set. ``close()`` shuts them down.
    public let plugins: PluginSet?
    /// The audit log run events are appended to (``Options/auditLogPath``), if any.
    public let audit: AuditLog?

    /// Opens (and migrates) the database and audit log, with the built-in node kinds plus
    /// `registry`'s. Pass `store` when it is already open (a node kind in ``Options/nodeKinds``
    /// writes through it, as the server's `write_artifact` does); the options' database fields
    /// are then ignored, and the process keeps one writer per database.
    public init(
        options: Options, registry: NodeKindRegistry = .builtins(), store: SQLiteRunStore? = nil,
        logger: Logger = Logger(label: "stargraph")
    ) throws {
        self.store = try store
            ?? SQLiteRunStore(path: options.databasePath, durability: options.durability, createIfMissing: options.createDatabase)
        var registry = registry
        for kind in options.nodeKinds { try registry.register(kind) }
        if let manifest = options.manifest {
            let plugins = try PluginSet.load(manifest: manifest, registry: registry, policy: options.pluginPolicy, logger: logger)
            self.plugins = plugins
            compiler = plugins.compiler
            graphs = plugins.graphs
        } else {
            plugins = nil
            compiler = GraphCompiler(registry: registry)
            graphs = GraphRegistry()
        }
        let signingKey = try options.auditSigningKeyPath.map { try Ed25519KeyFile.load(path: $0) }
        audit = try options.auditLogPath.map { try AuditLog(path: $0, signingKey: signingKey) }
        engine = RunEngine(store: self.store, compiler: compiler, audit: audit, eventSink: options.eventSink, logger: logger)
    }

    /// The graph `reference` names: the graph file at that path when one exists, else the
    /// graph registered under that id (from the manifest's plugins or `graphs:`). Throws the
    /// file's load errors when it is neither.
    public func graph(_ reference: String) throws -> CompiledGraph {
        if !FileManager.default.fileExists(atPath: reference), let entry = graphs.entry(reference) {
            return entry.graph
        }
        return try compiler.compile(path: reference)
    }

    /// Shuts the manifest's plugins down (each plugin's `shutdown`, once). Call it before the
    /// process exits; runs of plugin kinds fail afterwards.
    public func close() {
        plugins?.close()
    }

    /// Compiles the graph at `path` (or takes the registered graph with that id, see
    /// ``graph(_:)``), checks `inputs` (`key=value`) against it, and runs it to the end
    /// (done, failed, awaiting input or paused).
    public func run(
        graphPath: String, inputs: [String], maxSteps: Int? = nil, observer: (any RunObserver)? = nil
    ) async throws -> RunRecord {
        let graph = try graph(graphPath)
        let values = try RunInputs.parse(pairs: inputs, schema: graph.ir.stateSchema)
        let runId = RunIdentifiers.newRunId()
        return try await executing(runId, as: "stargraph run") {
            try await engine.start(graph, inputs: values, maxSteps: maxSteps, runId: runId, observer: observer)
        }
    }

    /// Continues a run (see ``RunEngine/resume(runId:response:observer:currentGraph:)``),
    /// refusing it when its graph changed since it started: against `currentGraph` when
    /// given, else against the registered graph of the same id, if any.
    public func resume(
        runId: String, response: JSONValue?, currentGraph: CompiledGraph? = nil, observer: (any RunObserver)? = nil
    ) async throws -> RunRecord {
        let registered = try store.run(runId).flatMap { graphs.entry($0.graphId)?.graph }
        return try await executing(runId, as: "stargraph resume") {
            try await engine.resume(
                runId: runId, response: response, observer: observer, currentGraph: currentGraph ?? registered)
        }
    }

    /// Runs `body` holding run `runId` against every other process (``RunExecutionClaim``), so a
    /// second `run`/`resume` of the same run refuses at once instead of executing its step too.
    private func executing(
        _ runId: String, as command: String, _ body: () async throws -> RunRecord
    ) async throws -> RunRecord {
        let claim = try await store.claimExecution(runId: runId, by: SchedulerProcess.current(), command: command)
        do {
            let run = try await body()
            await claim.release()
            return run
        } catch {
            await claim.release()
            throw error
        }
    }
}
