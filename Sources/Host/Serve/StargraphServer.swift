import NIOCore
import NIOPosix
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import StargraphCore
import StargraphStore
import StargraphEngine
import StargraphPlugins
import StargraphBroker
import StargraphScheduler
import StargraphHost
import StargraphWebhooks

/// `stargraph serve`, composed in one place. Construction is the boot: profile
/// requirements → the host (``StargraphRuntime/open(_:registry:logger:)``: store opened and
/// migrated, broker config (soft-fail), manifest and plugins loaded, graphs registered) →
/// scheduler → HTTP application. ``run()`` then starts the scheduler
/// (which first recovers interrupted runs) and the listener, until SIGINT/SIGTERM or
/// ``shutdown()``: the scheduler stops first (no step starts; executing steps are cancelled and
/// waited for at most the drain timeout, uncommitted), then the listener, then the store closes.
public final class StargraphServer: Sendable {
    /// The host the server runs graphs on.
    public let runtime: StargraphRuntime
    /// Every route the router answers, as (method, path template `/v1/runs/{id}`).
    let routes: [(method: String, path: String)]
    private let group: ServiceGroup
    private let scheduler: RunScheduler
    /// The listener's event loops (`--io-threads`), shut down once ``run()`` is over.
    private let eventLoops: MultiThreadedEventLoopGroup

    /// Boots the server. `onListening` is called with the bound host and port once the listener
    /// accepts connections (with `port: 0`, the port the system chose).
    /// - Throws: the boot failure, naming the file and what to change (profile requirements,
    ///   API key file, broker config, database, manifest, plugin or graph errors).
    public init(
        options: ServeOptions, logger: Logger = Logger(label: "stargraph.serve"),
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) async throws {
        // Bootstraps swift-metrics before the store, engine and scheduler create their instruments.
        let metrics = ServeMetrics.registry
        let manifestPath = options.resolvedManifestPath
        let manifest = try manifestPath.map { path throws(GraphLoadErrors) in try Manifest.load(path: path) }
        let keys = try (options.apiKeysPath ?? manifest?.apiKeys).map { path throws(APIKeyFileError) in try APIKeyStore.load(path: path) }
        try options.profile.validate(
            auditLogPath: options.auditLogPath, auditSigningKeyPath: options.auditSigningKeyPath, apiKeys: keys,
            plugins: manifest?.plugins.map { ServeProfile.PluginEntry(name: $0.name, sha256: $0.sha256) } ?? [])
        let hub = RunEventHub()
        let webhooks = manifest?.webhooks.map { policy in (policy: policy, wakeup: WebhookWakeup()) }
        var runtimeOptions = StargraphRuntime.Options()
        runtimeOptions.database = options.database
        runtimeOptions.durability = options.durability
        runtimeOptions.databasePoolSize = options.databasePoolSize
        runtimeOptions.checkpointsInBackground = true
        runtimeOptions.auditLogPath = options.auditLogPath
        runtimeOptions.auditSigningKeyPath = options.auditSigningKeyPath
        runtimeOptions.eventSink = webhooks.map { RunEventSinks([hub, $0.wakeup]) } ?? hub
        runtimeOptions.brokerConfigPath = options.brokerConfigPath
        runtimeOptions.warnsWithoutBroker = true
        runtimeOptions.manifest = manifest
        runtimeOptions.pluginPolicy = options.profile == .cleared ? .cleared : .permissive
        let runtime = try await StargraphRuntime.open(runtimeOptions, logger: logger)
        self.runtime = runtime
        let broker = runtime.brokerConfiguration
        let brokerService = runtime.broker
        let graphs = try Self.registry(
            runtime: runtime, extraGraphs: options.graphPaths, maxConcurrency: manifest?.maxConcurrency ?? [:])

        let triggers = manifest?.triggers.map { trigger in
            CronTrigger(id: trigger.id, cron: trigger.cron, timezone: trigger.timezone ?? "UTC",
                        graphId: trigger.graphId, params: .object(trigger.params))
        } ?? []
        let scheduler = RunScheduler(
            runtime: runtime.scheduling, graphs: graphs, workers: options.workers, triggers: triggers, drainTimeout: options.drainTimeout,
            allowsStoredGraphs: options.profile == .ossDefault || manifest?.databaseGraphs == true,
            webhooks: webhooks?.policy, logger: logger)
        self.scheduler = scheduler
        let system = SystemRoutes(
            store: runtime.store, audit: runtime.audit, scheduler: scheduler, plugins: Self.pluginHealth(runtime.plugins),
            broker: brokerService.map { HealthReport.Component(status: .ok, detail: "\($0.policy.sourceFile): \($0.policy.sources.count) source(s)") }
                ?? HealthReport.Component(status: .unconfigured, detail: "no nautilus config at \(broker.searchedPath)"),
            metrics: metrics,
            openAPI: CanonicalJSON.bytes(OpenAPIDocument.document(version: StargraphVersion.current)))
        let upgradeRefusals = UpgradeRefusals()
        let router = ServeRouter(
            store: runtime.store, engine: runtime.engine, graphs: graphs, scheduler: scheduler, profile: options.profile, keys: keys,
            audit: runtime.audit.map { RequestAudit(log: $0, store: runtime.store, logger: logger) }, rateLimit: options.rateLimit, hub: hub, artifacts: runtime.artifacts,
            plugins: PluginRoutes(plugins: runtime.plugins?.plugins.map(\.json) ?? [], kinds: runtime.compiler.registry),
            system: system, broker: BrokerRoutes(broker: brokerService, searchedPath: broker.searchedPath),
            upgradeRefusals: upgradeRefusals
        ).router()
        routes = router.routes.map { (method: $0.method.rawValue, path: $0.path.description) }
        let host = options.host
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: options.ioThreads)
        self.eventLoops = eventLoops
        let application = Application(
            router: router,
            server: .serve(webSocketRouter: router, timeouts: options.connectionTimeouts, refusals: upgradeRefusals),
            configuration: ApplicationConfiguration(address: .hostname(host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                logger.info("listening", metadata: ["host": "\(host)", "port": "\(port)"])
                onListening(host, port)
            },
            eventLoopGroupProvider: .shared(eventLoops),
            logger: logger)
        // Shut down in reverse order: the scheduler first, so no step starts after SIGTERM while
        // the listener finishes its requests (new runs get 503). The webhook deliverer stops
        // last, so it still sends what the drain commits.
        let deliverer = webhooks.map { WebhookDeliverer(outbox: runtime.store, policy: $0.policy, wakeup: $0.wakeup, logger: logger) }
        group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: (deliverer.map { [$0] } ?? []) + [application, scheduler], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }

    /// Serves until SIGINT/SIGTERM or ``shutdown()``, then closes the store. Returns normally
    /// after a graceful shutdown.
    public func run() async throws {
        do {
            try await group.run()
        } catch {
            try? await close()
            throw Self.explained(error)
        }
        try await close()
    }

    /// A failure to listen, said in the operator's terms; other errors unchanged.
    private static func explained(_ error: any Error) -> any Error {
        guard let io = error as? IOError, io.errnoCode == EADDRINUSE || io.errnoCode == EACCES else { return error }
        return ServeError.cannotListen(
            io.errnoCode == EADDRINUSE
                ? "the address is already in use; stop the other server or pass another --port (--port 0 picks a free one)"
                : "permission denied; ports below 1024 need privileges, pass another --port")
    }

    private func close() async throws {
        // A plugin still in a call (past the drain timeout) is not shut down under it: the
        // process exits around it.
        defer { if scheduler.runsLeftExecuting.isEmpty { runtime.close() } }
        try? await eventLoops.shutdownGracefully()
        try await runtime.store.close()
    }

    /// Starts the graceful shutdown ``run()`` performs on SIGTERM.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// `/health`'s plugins line: `unconfigured` without a manifest, else what loaded and what was skipped.
    private static func pluginHealth(_ plugins: PluginSet?) -> HealthReport.Component {
        guard let plugins else {
            return HealthReport.Component(status: .unconfigured, detail: "no plugin manifest (none given, no \(ServeOptions.defaultManifestPath))")
        }
        var detail = "\(plugins.plugins.count) plugin(s) loaded from \(plugins.manifest.path)"
        if !plugins.skipped.isEmpty { detail += "; skipped (optional): \(plugins.skipped.map(\.description).joined(separator: "; "))" }
        return HealthReport.Component(status: .ok, detail: detail)
    }

    /// The runtime's graphs plus the `--graph` files (limited by the manifest's `max_concurrency`).
    private static func registry(runtime: StargraphRuntime, extraGraphs: [String], maxConcurrency: [String: Int]) throws -> GraphRegistry {
        var registry = runtime.graphs
        for path in extraGraphs {
            let graph = try runtime.compiler.compile(path: path)
            try registry.register(GraphRegistry.Entry(graph: graph, origin: "file:\(path)", maxConcurrency: maxConcurrency[graph.id]))
        }
        return registry
    }
}

/// The server could not start serving.
public enum ServeError: Error, Sendable, CustomStringConvertible {
    case cannotListen(String)

    public var description: String {
        switch self {
        case .cannotListen(let why): "cannot listen: \(why)"
        }
    }
}
