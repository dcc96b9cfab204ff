import Logging
import PluginABI
import StargraphEngine

/// The ABI version constants, as Swift integers.
package enum SGABI {
    package static let major = Int(SG_ABI_MAJOR)
}

/// The steps of loading one manifest, in order: per plugin resolve → launch (in process: sha256,
/// dlopen, handshake) → conflict check → init → register; then every graph.
package struct PluginBoot {
    package let manifest: Manifest
    package var registry: NodeKindRegistry
    package let locator: PluginLibraryLocator
    package let policy: PluginLoadPolicy
    package let launcher: any PluginLauncher
    package let logger: Logger
    package private(set) var libraries: [any PluginProvider] = []
    package private(set) var skipped: [PluginLoadError] = []

    package init(
        manifest: Manifest, registry: NodeKindRegistry, environment: [String: String], policy: PluginLoadPolicy,
        launcher: any PluginLauncher, logger: Logger
    ) {
        self.manifest = manifest
        self.launcher = launcher
        self.registry = registry
        self.policy = policy
        self.locator = PluginLibraryLocator(manifestDirectory: manifest.directory, environment: environment)
        self.logger = logger
    }

    /// Loads every plugin entry; a failing optional entry is logged and skipped.
    package mutating func loadPlugins() throws(PluginLoadError) {
        for entry in manifest.plugins {
            do {
                try load(entry)
            } catch where entry.optional {
                logger.warning("skipping optional plugin: \(error)")
                skipped.append(error)
            }
        }
    }

    private mutating func load(_ entry: Manifest.PluginEntry) throws(PluginLoadError) {
        let location = "\(manifest.path):\(entry.mark.line):\(entry.mark.column)"
        let path: String
        switch locator.locate(entry.library) {
        case .success(let found): path = found
        case .failure(let error): throw PluginLoadError(location: location, plugin: entry.name, file: entry.library, reason: error.reason)
        }
        if let twin = libraries.first(where: { $0.path == path }) {
            throw PluginLoadError(location: location, plugin: entry.name, file: path, reason: "this library is already loaded as plugin '\(twin.name)' (\(twin.location)); load each library once")
        }
        let library = try launcher.launch(entry, path: path, location: location, policy: policy)
        let kinds = library.nodeKinds(outputLimit: manifest.outputLimit(of: entry))
        for kind in kinds {
            if let existing = registry.kind(kind.name) {
                let owner = libraries.first { $0.provider == existing.info.provider }
                let where_ = owner.map { " (\($0.path), \($0.location))" } ?? ""
                throw PluginLoadError(location: location, plugin: entry.name, file: path, reason: "node kind '\(kind.name)' conflicts: plugin \(library.provider) declares it, but \(existing.info.provider ?? "the host") already registered it\(where_); rename the kind or the plugin in one of them")
            }
        }
        try library.initialize()
        for kind in kinds {
            try? registry.register(kind)  // cannot fail: conflicts were checked above
        }
        libraries.append(library)
        logger.info("loaded plugin \(library.provider) from \(path) (\(kinds.count) kinds, \(library.graphs.count) graphs)")
    }

    /// Compiles the plugins' graphs and then the manifest's, registering each by id.
    package func compileGraphs(with compiler: GraphCompiler) throws(PluginLoadError) -> GraphRegistry {
        var graphs = GraphRegistry()
        for library in libraries {
            do {
                for graph in library.graphs {
                    try compile(graph, of: library, with: compiler, into: &graphs)
                }
            } catch where library.entry.optional {
                logger.warning("skipping the graphs of optional plugin: \(error)")
            }
        }
        for entry in manifest.graphs {
            let location = "\(manifest.path):\(entry.mark.line):\(entry.mark.column)"
            let compiled: CompiledGraph
            do {
                compiled = try compiler.compile(path: entry.path)
            } catch {
                throw PluginLoadError(location: location, file: entry.path, reason: "graph file is invalid:\n\(error)")
            }
            try register(compiled, origin: "manifest:\(entry.path)", location: location, plugin: nil, into: &graphs)
        }
        return graphs
    }

    private func compile(_ graph: PluginGraph, of library: any PluginProvider, with compiler: GraphCompiler, into graphs: inout GraphRegistry) throws(PluginLoadError) {
        let compiled: CompiledGraph
        do {
            compiled = try compiler.compile(text: graph.yaml, sourceName: "plugin:\(library.name)/\(graph.name)")
        } catch {
            throw PluginLoadError(location: library.location, plugin: library.name, file: library.path, reason: "graph '\(graph.name)' is invalid:\n\(error)")
        }
        try register(compiled, origin: "plugin:\(library.name)", location: library.location, plugin: library, into: &graphs)
    }

    private func register(_ graph: CompiledGraph, origin: String, location: String, plugin: (any PluginProvider)?, into graphs: inout GraphRegistry) throws(PluginLoadError) {
        do {
            try graphs.register(GraphRegistry.Entry(graph: graph, origin: origin, maxConcurrency: manifest.maxConcurrency[graph.id]))
        } catch {
            throw PluginLoadError(location: location, plugin: plugin?.name, file: plugin?.path, reason: error.description)
        }
    }
}
