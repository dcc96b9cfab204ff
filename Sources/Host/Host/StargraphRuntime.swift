import Foundation
import Logging
import StargraphCore
import StargraphSQLite
import StargraphStore
import StargraphAudit
import StargraphEngine
import StargraphPlugins
import StargraphBroker

/// One host's working set — store, node kinds, graph compiler, engine — opened from the
/// options every command shares. ``open(_:registry:logger:)`` is the one place a host is
/// composed: every CLI command and `stargraph serve` open theirs through it.
public final class StargraphRuntime: Sendable {
    /// Which of the host's own node kinds (``HostNodeKinds``) a runtime registers.
    public enum HostKinds: Sendable {
        /// `write_artifact` and `broker` able to run: the artifact folder and the broker open.
        case running
        /// The same kinds for checking graphs only: nothing beside the database is opened.
        case checkingOnly
    }

    /// Where and how to open the host's state.
    public struct Options: Sendable {
        /// The `--db` value (``StoreLocation``); the shared default lets every command meet
        /// without flags.
        public var database: String = StoreLocation.defaultDatabase
        public var durability: Durability = .normal
        /// `--db-pool-size`: the most connections to a PostgreSQL store (its default when `nil`).
        public var databasePoolSize: Int?
        /// `false` for read-only commands: a missing database is an error, never created.
        public var createDatabase: Bool = true
        /// For long-lived, busy processes (`stargraph serve`): the store checkpoints its
        /// write-ahead log on a thread of its own.
        public var checkpointsInBackground: Bool = false
        /// JSONL audit log to append run events to, if any.
        public var auditLogPath: String?
        /// Ed25519 private key file (``Ed25519KeyFile``) that signs every audit record, if any.
        public var auditSigningKeyPath: String?
        /// Told after every commit that a run's event log grew (the server's streams), and of the
        /// commits of other processes when the store can tell (``RunStore/watchRunUpdates(_:)``).
        public var eventSink: (any RunEventSink)?
        /// Node kinds registered beside the built-ins and the host's own.
        public var nodeKinds: [any NodeKind] = []
        /// The host's own kinds: running ones, or checking-only ones for commands that only
        /// read runs or compile graphs.
        public var hostKinds: HostKinds = .running
        /// `--nautilus-config`: wins over the manifest's `nautilus_config`
        /// (``BrokerConfiguration/detect(flagPath:manifestPath:logger:)``).
        public var brokerConfigPath: String?
        /// Whether a missing broker config is logged as a warning (serve's boot) or passed over
        /// quietly (the CLI).
        public var warnsWithoutBroker: Bool = false
        /// Plugin manifest to load, already parsed (``PluginSet/readManifest(at:)``):
        /// its plugins' kinds join the registry before any graph is compiled, and
        /// ``StargraphRuntime/graphs`` holds their graphs plus the manifest's `graphs:`.
        public var manifest: Manifest?
        /// Which of the manifest's libraries may load besides their pins (the serve profile's).
        public var pluginPolicy: PluginLoadPolicy = .permissive

        public init() {}
    }

    package let store: any HostStore
    public let compiler: GraphCompiler
    public let engine: RunEngine
    /// The graphs this host serves by id (from plugins and the manifest).
    public let graphs: GraphRegistry
    /// The manifest's plugins, when ``Options/manifest`` was set. ``close()`` shuts them down.
    public let plugins: PluginSet?
    /// The audit log run events are appended to (``Options/auditLogPath``), if any.
    public let audit: AuditLog?
    /// Artifact bytes beside the store, their rows in it.
    public let artifacts: ArtifactStore
    /// The running broker, when configured and the host's kinds run (``HostKinds/running``).
    public let broker: Broker?
    /// Where the broker config was looked for, and the policy when one was found.
    public let brokerConfiguration: BrokerConfiguration

    /// Opens (and migrates) the store `options.database` names, the audit log, the broker and
    /// the manifest's plugins, with the built-in node kinds plus `registry`'s, the host's own and
    /// ``Options/nodeKinds``.
    /// - Throws: ``StoreLocationError`` for a `--db` value no store answers (a usage error), else
    ///   the store's, broker config's, plugin's or audit log's error naming what to change.
    public static func open(
        _ options: Options, registry: NodeKindRegistry = .builtins(), logger: Logger = Logger(label: "stargraph")
    ) async throws -> StargraphRuntime {
        let location = try StoreLocation(parsing: options.database)
        let store = try await location.open(
            durability: options.durability, create: options.createDatabase, checkpointsInBackground: options.checkpointsInBackground,
            poolSize: options.databasePoolSize)
        do {
            let runtime = try StargraphRuntime(options: options, location: location, store: store, registry: registry, logger: logger)
            if let sink = options.eventSink { store.watchRunUpdates { sink.runUpdated($0) } }
            return runtime
        } catch {
            try? await store.close()
            throw error
        }
    }

    private init(
        options: Options, location: StoreLocation, store: any HostStore, registry: NodeKindRegistry, logger: Logger
    ) throws {
        self.store = store
        brokerConfiguration = try Self.brokerConfiguration(options, logger: logger)
        artifacts = ArtifactStore(directory: location.artifactDirectory, store: store)
        let hostKinds: [any NodeKind]
        switch options.hostKinds {
        case .running:
            broker = try brokerConfiguration.policy.map { try Broker(policy: $0, logger: Logger(label: "stargraph.broker")) }
            hostKinds = HostNodeKinds.running(artifacts: artifacts, configuration: brokerConfiguration, broker: broker)
        case .checkingOnly:
            broker = nil
            hostKinds = HostNodeKinds.checkingOnly(broker: brokerConfiguration)
        }
        let loaded = try Self.loadPlugins(
            options.manifest, on: registry, adding: hostKinds + options.nodeKinds, policy: options.pluginPolicy, logger: logger)
        plugins = loaded.plugins
        compiler = loaded.compiler
        graphs = loaded.plugins?.graphs ?? GraphRegistry()
        let signingKey = try options.auditSigningKeyPath.map { try Ed25519KeyFile.load(path: $0) }
        audit = try options.auditLogPath.map { try AuditLog(path: $0, signingKey: signingKey) }
        engine = RunEngine(store: store, compiler: compiler, audit: audit, eventSink: options.eventSink, logger: logger)
    }

    /// `registry` with `kinds` added, and the manifest's plugins (if any) loaded on top: the
    /// plugins, and the compiler that knows every kind.
    static func loadPlugins(
        _ manifest: Manifest?, on registry: NodeKindRegistry, adding kinds: [any NodeKind], policy: PluginLoadPolicy, logger: Logger
    ) throws -> (plugins: PluginSet?, compiler: GraphCompiler) {
        var registry = registry
        for kind in kinds { try registry.register(kind) }
        guard let manifest else { return (nil, GraphCompiler(registry: registry)) }
        let plugins = try PluginSet.load(manifest: manifest, registry: registry, policy: policy, logger: logger)
        return (plugins, plugins.compiler)
    }

    /// The broker config the options point at; a missing one is logged only when asked to.
    static func brokerConfiguration(_ options: Options, logger: Logger = Logger(label: "stargraph.broker")) throws -> BrokerConfiguration {
        var logger = logger
        if !options.warnsWithoutBroker { logger.logLevel = .error }
        return try BrokerConfiguration.detect(
            flagPath: options.brokerConfigPath, manifestPath: options.manifest?.nautilusConfig, logger: logger)
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
        let registered = try await store.run(runId).flatMap { graphs.entry($0.graphId)?.graph }
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
