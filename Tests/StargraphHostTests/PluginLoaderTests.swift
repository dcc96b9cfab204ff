import Crypto
import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphPlugins

/// Helpers for plugin tests: manifests in temp folders, loading the real `.so` files the
/// package builds (found in the build folder, beside the test binary).
enum PluginFixtures {
    /// The repository root (for manifests/default.yaml and examples/).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var buildDirectory: URL {
        URL(fileURLWithPath: PluginLibraryLocator.executableDirectory ?? ".")
    }

    static func library(_ product: String) -> URL {
        buildDirectory.appendingPathComponent("lib\(product).so")
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Writes `yaml` as `manifest.yaml` in a fresh folder; returns its path.
    static func manifest(_ yaml: String, in directory: URL? = nil) throws -> String {
        let folder = try directory ?? temporaryDirectory()
        let path = folder.appendingPathComponent("manifest.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Loads `yaml` as a manifest, expecting a failure; returns it.
    static func loadError(_ yaml: String, environment: [String: String] = [:]) throws -> PluginLoadError {
        let path = try manifest(yaml)
        do {
            let plugins = try PluginSet.load(manifestPath: path, environment: environment)
            plugins.close()
        } catch {
            return error
        }
        Issue.record("expected the manifest to fail:\n\(yaml)")
        return PluginLoadError(location: path, reason: "loaded")
    }

    static func sha256(_ url: URL) throws -> String {
        SHA256.hash(data: try Data(contentsOf: url)).map { String(format: "%02x", $0) }.joined()
    }

    /// A runtime on a fresh database with the manifest at `manifestPath`.
    static func runtime(manifestPath: String) async throws -> StargraphRuntime {
        var options = StargraphRuntime.Options()
        options.database = try temporaryDirectory().appendingPathComponent("runs.sqlite").path
        options.manifest = try PluginSet.readManifest(at: manifestPath)
        return try await StargraphRuntime.open(options)
    }

    static let defaultManifest = repositoryRoot.appendingPathComponent("manifests/default.yaml").path
}

@Suite("Plugin loader and ABI conformance")
struct PluginLoaderTests {
    @Test("the default manifest loads the Swift, C and graph-only plugins and every graph")
    func defaultManifest() throws {
        let plugins = try PluginSet.load(manifestPath: PluginFixtures.defaultManifest)
        defer { plugins.close() }
        #expect(plugins.plugins.map(\.name) == ["hello", "text", "demo"])
        #expect(plugins.plugins.allSatisfy { $0.abiVersion == "1.0" && $0.sha256.count == 64 })
        #expect(plugins.registry.kindInfo("hello.stamp") == NodeKindInfo(sideEffecting: true, provider: "hello@1.0.0"))
        #expect(plugins.registry.kindInfo("hello.greet") == NodeKindInfo(sideEffecting: false, provider: "hello@1.0.0"))
        #expect(plugins.registry.kindInfo("text.shout") == NodeKindInfo(sideEffecting: false, provider: "text@1.0.0"))
        #expect(plugins.graphs.all.map(\.graph.id) == ["demo:greet-and-shout", "hello:greet-and-stamp", "run:hello-stargraph", "text:shout"])
        #expect(plugins.graphs.entry("demo:greet-and-shout")?.origin == "plugin:demo")
        #expect(plugins.plugins.first { $0.name == "demo" }?.kinds.isEmpty == true)
        #expect(plugins.plugins.first { $0.name == "demo" }?.graphIds == ["demo:greet-and-shout"])
    }

    @Test("a plugin built for ABI 2 is refused, naming plugin, file and ABI")
    func wrongABIMajor() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: badmajor, library: libSGTestBadMajor.so}]")
        #expect(error.plugin == "badmajor")
        #expect(error.file == PluginFixtures.library("SGTestBadMajor").path)
        #expect(error.reason.contains("built for plugin ABI 2.0, but this host speaks ABI 1.x"))
        #expect(error.description.contains("manifest.yaml:1:11: plugin 'badmajor' ("))
    }

    @Test("a descriptor whose struct_size is smaller than v1's is refused")
    func structSizeTooSmall() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: smallstruct, library: libSGTestSmallStruct.so}]")
        #expect(error.reason.contains("descriptor struct_size is 16 bytes, smaller than ABI v1's"))
    }

    @Test("a library without the entry symbol is refused")
    func missingEntrySymbol() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: noentry, library: libSGTestNoEntry.so}]")
        #expect(error.reason.contains("does not export the entry symbol 'stargraph_plugin_v1'"))
    }

    @Test("a file that is not a shared object is refused with the loader's reason")
    func notASharedObject() throws {
        let folder = try PluginFixtures.temporaryDirectory()
        try "not an ELF file".write(to: folder.appendingPathComponent("libfake.so"), atomically: true, encoding: .utf8)
        let path = try PluginFixtures.manifest("plugins: [{name: fake, library: libfake.so}]", in: folder)
        #expect {
            _ = try PluginSet.load(manifestPath: path, environment: [:])
        } throws: { error in
            let error = error as! PluginLoadError
            return error.reason.hasPrefix("not a loadable shared object:") && error.file == folder.appendingPathComponent("libfake.so").path
        }
    }

    @Test("a sha256 mismatch is refused before dlopen: the library's constructor never runs")
    func sha256MismatchBeforeDlopen() throws {
        let marker = "/tmp/stargraph-marker-\(getpid())"
        try? FileManager.default.removeItem(atPath: marker)
        let wrong = String(repeating: "ab", count: 32)
        let error = try PluginFixtures.loadError("plugins: [{name: marker, library: libSGTestMarker.so, sha256: \(wrong)}]")
        #expect(error.reason.contains("sha256 mismatch: the manifest pins \(wrong)"))
        #expect(!FileManager.default.fileExists(atPath: marker), "the library was opened despite the pin mismatch")

        // Control: with the right pin the library loads, and its constructor leaves the marker.
        let right = try PluginFixtures.sha256(PluginFixtures.library("SGTestMarker"))
        let plugins = try PluginSet.load(manifestPath: try PluginFixtures.manifest("plugins: [{name: marker, library: libSGTestMarker.so, sha256: \"sha256:\(right)\"}]"))
        plugins.close()
        #expect(plugins.plugins.first?.sha256 == right)
        #expect(FileManager.default.fileExists(atPath: marker))
        try? FileManager.default.removeItem(atPath: marker)
    }

    @Test("one node kind from two plugins stops boot naming both")
    func duplicateKindAcrossPlugins() throws {
        let error = try PluginFixtures.loadError("""
            plugins:
              - {name: dup, library: libSGTestDupA.so}
              - {name: dup.x, library: libSGTestDupB.so}
            """)
        #expect(error.plugin == "dup.x")
        #expect(error.reason.contains("node kind 'dup.x.y' conflicts: plugin dup.x@1.0.0 declares it, but dup@1.0.0 already registered it"))
        #expect(error.reason.contains(PluginFixtures.library("SGTestDupA").path))
        #expect(error.location.hasSuffix("manifest.yaml:3:5"))
    }

    @Test("an embedded graph with invalid IR is refused naming plugin and graph")
    func invalidEmbeddedGraph() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: badgraph, library: libSGTestBadGraph.so}]")
        #expect(error.plugin == "badgraph")
        #expect(error.reason.contains("graph 'broken' is invalid"))
        #expect(error.reason.contains("plugin:badgraph/broken:4:"))
        #expect(error.reason.contains("unknown node kind 'nosuch.kind'"))
    }

    @Test("init returning an error stops boot with its code and message; the right config loads")
    func initError() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: initfails, library: libSGTestInitFails.so}]")
        #expect(error.reason == "init failed with code 7: no API token configured; set config.token in the manifest entry")
        let plugins = try PluginSet.load(manifestPath: try PluginFixtures.manifest("plugins: [{name: initfails, library: libSGTestInitFails.so, config: {token: s3cret}}]"))
        plugins.close()
        #expect(plugins.plugins.map(\.name) == ["initfails"])
    }

    @Test("an optional plugin that fails is skipped and logged; the others load")
    func optionalPluginSkipped() throws {
        let plugins = try PluginSet.load(manifestPath: try PluginFixtures.manifest("""
            plugins:
              - {name: badmajor, library: libSGTestBadMajor.so, optional: true}
              - {name: text, library: libStargraphText.so}
            """))
        defer { plugins.close() }
        #expect(plugins.plugins.map(\.name) == ["text"])
        #expect(plugins.skipped.count == 1)
        #expect(plugins.skipped.first?.plugin == "badmajor")
    }

    @Test("a manifest name that differs from the library's own name is refused")
    func nameMismatch() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: shouty, library: libStargraphText.so}]")
        #expect(error.reason.contains("declares itself as plugin 'text', not 'shouty'"))
    }

    @Test("a missing library lists every folder searched")
    func missingLibrary() throws {
        let error = try PluginFixtures.loadError("plugins: [{name: gone, library: libNoSuchPlugin.so}]", environment: ["STARGRAPH_PLUGIN_PATH": "/opt/one:/opt/two"])
        #expect(error.reason.contains("library file not found; tried"))
        #expect(error.reason.contains("/opt/one/libNoSuchPlugin.so, /opt/two/libNoSuchPlugin.so"))
        #expect(error.reason.contains(PluginFixtures.buildDirectory.appendingPathComponent("libNoSuchPlugin.so").path))
    }

    @Test("libraries resolve in the manifest folder, then STARGRAPH_PLUGIN_PATH, then the build folder")
    func resolutionOrder() throws {
        let source = PluginFixtures.library("StargraphText")
        let pathFolder = try PluginFixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: source, to: pathFolder.appendingPathComponent("libStargraphText.so"))
        let manifestFolder = try PluginFixtures.temporaryDirectory()
        let manifest = try PluginFixtures.manifest("plugins: [{name: text, library: libStargraphText.so}]", in: manifestFolder)

        let fromBuild = try PluginSet.load(manifestPath: manifest, environment: [:])
        #expect(fromBuild.plugins.first?.file == source.path)
        fromBuild.close()
        let fromPath = try PluginSet.load(manifestPath: manifest, environment: ["STARGRAPH_PLUGIN_PATH": "/nonexistent:\(pathFolder.path)"])
        #expect(fromPath.plugins.first?.file == pathFolder.appendingPathComponent("libStargraphText.so").path)
        fromPath.close()
        try FileManager.default.copyItem(at: source, to: manifestFolder.appendingPathComponent("libStargraphText.so"))
        let fromManifest = try PluginSet.load(manifestPath: manifest, environment: ["STARGRAPH_PLUGIN_PATH": pathFolder.path])
        #expect(fromManifest.plugins.first?.file == manifestFolder.appendingPathComponent("libStargraphText.so").path)
        fromManifest.close()
    }

    @Test("a graph id registered twice stops boot naming both origins")
    func duplicateGraphId() throws {
        let folder = try PluginFixtures.temporaryDirectory()
        try """
            ir_version: "1.0.0"
            id: "text:shout"
            nodes: [{id: a, kind: passthrough}]
            """.write(to: folder.appendingPathComponent("clash.yaml"), atomically: true, encoding: .utf8)
        let path = try PluginFixtures.manifest("""
            plugins: [{name: text, library: libStargraphText.so}]
            graphs: [{path: clash.yaml}]
            """, in: folder)
        #expect {
            _ = try PluginSet.load(manifestPath: path)
        } throws: { error in
            "\(error)".contains("graph id 'text:shout' is registered twice: by plugin:text and by manifest:\(folder.appendingPathComponent("clash.yaml").path)")
        }
    }

    @Test("after every kind of failure the host still loads a good manifest and runs its graphs")
    func hostKeepsWorking() async throws {
        for yaml in [
            "plugins: [{name: badmajor, library: libSGTestBadMajor.so}]",
            "plugins: [{name: noentry, library: libSGTestNoEntry.so}]",
            "plugins: [{name: initfails, library: libSGTestInitFails.so}]",
            "plugins: [{name: badgraph, library: libSGTestBadGraph.so}]",
        ] {
            _ = try PluginFixtures.loadError(yaml)
        }
        let runtime = try await PluginFixtures.runtime(manifestPath: PluginFixtures.defaultManifest)
        defer { runtime.close() }
        let run = try await runtime.run(graphPath: "text:shout", inputs: ["message=still here"])
        #expect(run.status == .done)
        #expect(run.state["shout"] == "STILL HERE!")
    }
}
