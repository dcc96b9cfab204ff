import Foundation
import Logging
import Synchronization
import Testing
@testable import StargraphCore
@testable import StargraphEngine
@testable import StargraphPlugins

/// A plugin that is not a shared library: a Swift provider with one kind (`<name>.shout`) and one
/// graph, whose lifecycle calls are counted, as a worker-process provider would be driven.
private final class ScriptedProvider: PluginProvider {
    let entry: Manifest.PluginEntry
    let location: String
    let path: String
    let failsInit: Bool
    let calls: Mutex<[String]>
    private let live = Mutex(false)

    init(entry: Manifest.PluginEntry, path: String, location: String, failsInit: Bool) {
        self.entry = entry
        self.path = path
        self.location = location
        self.failsInit = failsInit
        calls = Mutex([])
    }

    var name: String { entry.name }
    var version: String { "2.0.0" }
    var sha256: String { String(repeating: "0", count: 64) }
    var abiVersion: String { "1.0" }
    var declaredKinds: [PluginInfo.Kind] { [PluginInfo.Kind(name: "\(name).shout", sideEffecting: false, serial: false)] }
    var graphs: [PluginGraph] {
        [PluginGraph(name: "loud", yaml: """
            ir_version: "1.0.0"
            id: run:\(name)-loud
            nodes:
              - {id: a, kind: \(name).shout}
            state_schema: {text: str}
            """)]
    }
    var isLive: Bool { live.withLock { $0 } }

    func nodeKinds(outputLimit: Int) -> [any NodeKind] { [Shout(name: "\(name).shout", provider: provider)] }

    func initialize() throws(PluginLoadError) {
        calls.withLock { $0.append("init") }
        if failsInit { throw PluginLoadError(location: location, plugin: name, file: path, reason: "scripted init failure") }
        live.withLock { $0 = true }
    }

    func shutdown() {
        calls.withLock { $0.append("shutdown") }
        live.withLock { $0 = false }
    }

    struct Shout: NodeKind {
        let name: String
        let provider: String
        var info: NodeKindInfo { NodeKindInfo(sideEffecting: false, provider: provider) }
        func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
            ClosureNode { state, _ in NodeResult(patch: ["text": .string((state["text"]?.stringValue ?? "").uppercased())]) }
        }
    }
}

/// Launches a ``ScriptedProvider`` per entry (those named `broken` fail their init) and keeps them.
private final class ScriptedLauncher: PluginLauncher {
    let launched = Mutex<[ScriptedProvider]>([])

    func launch(_ entry: Manifest.PluginEntry, path: String, location: String, policy: PluginLoadPolicy) throws(PluginLoadError) -> any PluginProvider {
        let provider = ScriptedProvider(entry: entry, path: path, location: location, failsInit: entry.name == "broken")
        launched.withLock { $0.append(provider) }
        return provider
    }
}

@Suite("Plugin providers: boot drives any provider, not only dlopen")
struct PluginProviderTests {
    private static func manifest(_ yaml: String) throws -> Manifest {
        let folder = try PluginFixtures.temporaryDirectory()
        for file in ["libfirst.so", "libbroken.so"] {
            FileManager.default.createFile(atPath: folder.appendingPathComponent(file).path, contents: Data())
        }
        return try PluginSet.readManifest(at: try PluginFixtures.manifest(yaml, in: folder))
    }

    @Test("a provider's kinds and graphs register and list under its name; close shuts it down once")
    func providerKindsRun() async throws {
        let launcher = ScriptedLauncher()
        let plugins = try PluginSet.load(
            manifest: try Self.manifest("plugins: [{name: loud, library: libfirst.so}]"), registry: .builtins(),
            environment: [:], policy: .permissive, launcher: launcher, logger: .init(label: "test"))
        #expect(plugins.registry.kind("loud.shout")?.info.provider == "loud@2.0.0")
        #expect(plugins.plugins.first?.json["version"] == .string("2.0.0"))
        #expect(plugins.plugins.first?.graphIds == ["run:loud-loud"])
        #expect(plugins.plugins.first?.kinds.map(\.name) == ["loud.shout"])
        let graph = try #require(plugins.graphs.entry("run:loud-loud")?.graph)
        #expect(graph.ir.nodes.first?.kind == "loud.shout")
        plugins.close()
        plugins.close()
        let provider = try #require(launcher.launched.withLock { $0.first })
        #expect(provider.calls.withLock { $0 } == ["init", "shutdown"])
    }

    @Test("a provider whose init fails stops boot, and those started before it are shut down")
    func failedInitShutsDownTheOthers() throws {
        let launcher = ScriptedLauncher()
        let manifest = try Self.manifest("""
            plugins:
              - {name: first, library: libfirst.so}
              - {name: broken, library: libbroken.so}
            """)
        #expect {
            try PluginSet.load(manifest: manifest, registry: .builtins(), environment: [:], policy: .permissive, launcher: launcher, logger: .init(label: "test"))
        } throws: { error in
            "\(error)".contains("init failed") || "\(error)".contains("scripted init failure")
        }
        let first = try #require(launcher.launched.withLock { $0.first })
        #expect(first.calls.withLock { $0 } == ["init", "shutdown"])
    }
}
