import ArgumentParser
import Foundation
import StargraphHost
import StargraphCore
import StargraphStore
import StargraphEngine
import StargraphPlugins

/// `--manifest M`, shared by the commands that load plugins.
struct ManifestOptions: ParsableArguments {
    /// Used when `--manifest` is not given and this file exists in the working directory.
    static let defaultPath = "manifests/default.yaml"

    @Option(help: "Plugin manifest (default: \(ManifestOptions.defaultPath) when it exists here, else built-in node kinds only).", completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String?

    /// The manifest to load: the one given, else the default one when it exists, else none.
    var path: String? {
        if let manifest { return manifest }
        return FileManager.default.fileExists(atPath: Self.defaultPath) ? Self.defaultPath : nil
    }

    /// Parses the manifest; `nil` without one. A bad manifest throws ``PluginLoadError`` (exit 2)
    /// naming file, line and column.
    func read() throws -> Manifest? {
        try path.map { path throws(PluginLoadError) in try PluginSet.readManifest(at: path) }
    }

    /// For commands that only list or compile graphs: see ``StargraphRuntime/openForChecking(manifest:)``.
    /// A bad plugin throws ``PluginLoadError`` (exit 2) naming file, plugin and reason.
    func loadForChecking() throws -> (plugins: PluginSet?, compiler: GraphCompiler) {
        try StargraphRuntime.openForChecking(manifest: read())
    }

    /// The runtime of a command on `options`' database with the manifest's plugins, as
    /// `stargraph serve` has them. With `executing` false (a command that only reads runs), the
    /// host's kinds are the checking-only ones, so no broker starts and no key or audit file is
    /// created.
    func runtime(_ options: StargraphRuntime.Options, executing: Bool = true) async throws -> StargraphRuntime {
        var options = options
        options.manifest = try read()
        options.hostKinds = executing ? .running : .checkingOnly
        return try await StargraphRuntime.open(options)
    }
}

/// `stargraph plugins`: the plugins a manifest loads.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Load the manifest's plugins and list them: name, version, ABI, sha256, file, node kinds, graphs.")

    @OptionGroup var manifest: ManifestOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        guard let plugins = try manifest.loadForChecking().plugins else {
            printError("no manifest: pass --manifest M (or run where \(ManifestOptions.defaultPath) exists); only built-in node kinds are available")
            return
        }
        defer { plugins.close() }
        if json {
            print(PrettyJSON.encode(.object(["manifest": .string(plugins.manifest.path), "plugins": .array(plugins.plugins.map(\.json))])))
            return
        }
        for plugin in plugins.plugins {
            print("\(plugin.name) \(plugin.version)  abi \(plugin.abiVersion)")
            print("  sha256  \(plugin.sha256)")
            print("  file    \(plugin.file)")
            let kinds = plugin.kinds.map { "\($0.name) (\($0.sideEffecting ? "side_effecting" : "pure")\($0.serial ? ", serial" : ""))" }
            print("  kinds   \(kinds.isEmpty ? "-" : kinds.joined(separator: ", "))")
            print("  graphs  \(plugin.graphIds.isEmpty ? "-" : plugin.graphIds.joined(separator: ", "))")
        }
        for skipped in plugins.skipped {
            printError("skipped optional plugin: \(skipped)")
        }
    }
}

/// `stargraph graphs`: the graph ids a manifest makes runnable, with their hashes.
struct GraphsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graphs",
        abstract: "List the graphs of the manifest's plugins and `graphs:` as `<graph_id> <graph_hash> <origin>`.")

    @OptionGroup var manifest: ManifestOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        guard let plugins = try manifest.loadForChecking().plugins else {
            printError("no manifest: pass --manifest M (or run where \(ManifestOptions.defaultPath) exists); no graphs are registered")
            return
        }
        defer { plugins.close() }
        let entries = plugins.graphs.all
        if json {
            let list = entries.map { entry in
                JSONValue.object(["id": .string(entry.graph.id), "hash": .string(entry.graph.hash), "origin": .string(entry.origin)])
            }
            print(PrettyJSON.encode(.object(["graphs": .array(list)])))
            return
        }
        for entry in entries {
            print("\(entry.graph.id)  \(entry.graph.hash)  \(entry.origin)")
        }
    }
}
