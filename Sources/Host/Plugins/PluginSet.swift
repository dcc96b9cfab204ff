import Foundation
import Logging
import Synchronization
import StargraphEngine

/// Everything a manifest brings into a host: its plugins loaded and initialised,
/// their node kinds registered, and — only after every plugin's kinds are registered — the
/// plugins' graphs and the manifest's `graphs:` compiled against the full registry.
///
/// Boot stops at the first failure with one ``PluginLoadError`` naming the manifest entry,
/// plugin, file and reason (plugins already initialised are shut down first); an entry with
/// `optional: true` is logged and skipped instead. Call ``close()`` at exit so every plugin
/// gets its `shutdown`.
public final class PluginSet: Sendable {
    public let manifest: Manifest
    /// The loaded plugins, in manifest order.
    public let plugins: [PluginInfo]
    /// Why each skipped `optional: true` entry was skipped.
    public let skipped: [PluginLoadError]
    /// The built-in kinds plus every plugin's.
    public let registry: NodeKindRegistry
    /// Compiles graphs against ``registry``; the host's engine should use this one.
    public let compiler: GraphCompiler
    /// The plugins' graphs and the manifest's `graphs:`, by id.
    public let graphs: GraphRegistry
    private let libraries: [any PluginProvider]
    private let closed = Atomic(false)

    /// Loads the manifest at `manifestPath` and everything it names, on top of `registry`.
    public static func load(
        manifestPath: String, registry: NodeKindRegistry = .builtins(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "stargraph.plugins")
    ) throws(PluginLoadError) -> PluginSet {
        try load(manifest: try readManifest(at: manifestPath), registry: registry, environment: environment, logger: logger)
    }

    /// Parses the manifest at `manifestPath`, for callers that read it (its broker config path,
    /// triggers…) before loading its plugins with ``load(manifest:registry:environment:logger:)``.
    /// - Throws: ``PluginLoadError`` naming `file:line:column` of each problem.
    public static func readManifest(at manifestPath: String) throws(PluginLoadError) -> Manifest {
        do {
            return try Manifest.load(path: manifestPath)
        } catch {
            throw PluginLoadError(manifest: error)
        }
    }

    /// Loads everything the parsed `manifest` names, on top of `registry`, refusing libraries
    /// `policy` does not allow.
    public static func load(
        manifest: Manifest, registry: NodeKindRegistry = .builtins(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        policy: PluginLoadPolicy = .permissive,
        logger: Logger = Logger(label: "stargraph.plugins")
    ) throws(PluginLoadError) -> PluginSet {
        try load(manifest: manifest, registry: registry, environment: environment, policy: policy, launcher: InProcessLauncher(), logger: logger)
    }

    /// Loads everything `manifest` names through `launcher`, which turns each entry into a
    /// ``PluginProvider``.
    package static func load(
        manifest: Manifest, registry: NodeKindRegistry, environment: [String: String], policy: PluginLoadPolicy,
        launcher: any PluginLauncher, logger: Logger
    ) throws(PluginLoadError) -> PluginSet {
        var loader = PluginBoot(
            manifest: manifest, registry: registry, environment: environment, policy: policy, launcher: launcher, logger: logger)
        do {
            try loader.loadPlugins()
            let compiler = GraphCompiler(registry: loader.registry)
            let graphs = try loader.compileGraphs(with: compiler)
            return PluginSet(manifest: manifest, boot: loader, compiler: compiler, graphs: graphs)
        } catch {
            for library in loader.libraries.reversed() { library.shutdown() }
            throw error
        }
    }

    private init(manifest: Manifest, boot: PluginBoot, compiler: GraphCompiler, graphs: GraphRegistry) {
        self.manifest = manifest
        libraries = boot.libraries
        skipped = boot.skipped
        registry = boot.registry
        self.compiler = compiler
        self.graphs = graphs
        plugins = boot.libraries.map { library in
            library.info(graphIds: graphs.all.filter { $0.origin == "plugin:\(library.name)" }.map(\.graph.id))
        }
    }

    /// Calls every plugin's `shutdown` (reverse load order), once; later calls do nothing.
    /// Nodes of plugin kinds must not run afterwards (they fail with `PluginError`).
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for library in libraries.reversed() { library.shutdown() }
    }

    deinit { close() }
}
