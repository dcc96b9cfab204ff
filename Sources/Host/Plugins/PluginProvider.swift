import StargraphEngine

/// One loaded plugin as the host uses it, however it runs: who it is, the node kinds and graphs
/// it provides, and its lifecycle. ``PluginLibrary`` is the in-process implementation (`dlopen`
/// and the C ABI); a plugin served by a worker process provides the same.
///
/// The host calls ``initialize()`` once before registering its kinds, and ``shutdown()`` once
/// at exit (``PluginSet/close()``, or when boot fails after it started); no node of its kinds
/// runs after ``shutdown()``.
package protocol PluginProvider: AnyObject, Sendable {
    /// The manifest entry it was loaded from.
    var entry: Manifest.PluginEntry { get }
    /// `file:line:column` of that entry, for errors.
    var location: String { get }
    /// The library file it was loaded from.
    var path: String { get }
    /// The plugin's name, as its kinds are prefixed (`<name>.<kind>`).
    var name: String { get }
    var version: String { get }
    /// Lowercase hex SHA-256 of the library file.
    var sha256: String { get }
    /// `major.minor` of the ABI it was built against.
    var abiVersion: String { get }
    /// The node kinds it declares, as listings show them.
    var declaredKinds: [PluginInfo.Kind] { get }
    /// The graphs it ships, as YAML.
    var graphs: [PluginGraph] { get }
    /// Whether calls into it are allowed: ``initialize()`` succeeded and ``shutdown()`` has not run.
    var isLive: Bool { get }

    /// Its node kinds, ready to register; an output larger than `outputLimit` bytes fails the step.
    func nodeKinds(outputLimit: Int) -> [any NodeKind]
    /// Starts the plugin with its entry's config.
    /// - Throws: ``PluginLoadError`` with the plugin's own code and message.
    func initialize() throws(PluginLoadError)
    /// Stops the plugin; a provider that was never initialised has nothing to stop.
    func shutdown()
}

extension PluginProvider {
    /// `name@version`, the provider recorded in node kinds and graph hashes.
    package var provider: String { "\(name)@\(version)" }

    /// The plugin as listings show it, with the ids its graphs were registered under.
    package func info(graphIds: [String]) -> PluginInfo {
        PluginInfo(
            name: name, version: version, abiVersion: abiVersion, sha256: sha256, file: path,
            kinds: declaredKinds, graphIds: graphIds)
    }
}

/// A graph a plugin ships: its name inside the plugin and its YAML text.
package struct PluginGraph: Sendable {
    package var name: String
    package var yaml: String
}

/// Loads the plugin a manifest entry names from the library file found for it.
package protocol PluginLauncher: Sendable {
    /// - Throws: ``PluginLoadError`` naming the entry, the file and why it cannot load.
    func launch(_ entry: Manifest.PluginEntry, path: String, location: String, policy: PluginLoadPolicy) throws(PluginLoadError) -> any PluginProvider
}

/// Loads plugins into this process with `dlopen` (``PluginLibrary``).
package struct InProcessLauncher: PluginLauncher {
    package init() {}

    package func launch(_ entry: Manifest.PluginEntry, path: String, location: String, policy: PluginLoadPolicy) throws(PluginLoadError) -> any PluginProvider {
        try PluginLibrary(entry: entry, path: path, location: location, policy: policy)
    }
}
