import Foundation
import PluginABI
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphPlugins

/// A pinned library is loaded from the bytes that were hashed, so replacing the file after the
/// hash cannot load an unpinned library; `cleared` refuses libraries others could replace.
@Suite("Plugins: pins hold against a swapped file")
struct PluginPinTests {
    /// The `name` of the descriptor `handle`'s entry point returns.
    static func pluginName(_ handle: UnsafeMutableRawPointer) throws -> String {
        typealias Entry = @convention(c) () -> UnsafePointer<sg_plugin_descriptor>?
        let symbol = try #require(dlsym(handle, SG_ENTRY_SYMBOL))
        let descriptor = try #require(unsafeBitCast(symbol, to: Entry.self)())
        return String(cString: try #require(descriptor.pointee.name))
    }

    @Test("a file replaced between hash and load: the pinned load runs the hashed library, the path load the swapped one")
    func swappedFileDoesNotLoad() throws {
        let folder = try PluginFixtures.temporaryDirectory()
        let path = folder.appendingPathComponent("libplugin.so")
        let impostor = folder.appendingPathComponent("impostor.so")
        try FileManager.default.copyItem(at: PluginFixtures.library("SGTestDupA"), to: path)
        try FileManager.default.copyItem(at: PluginFixtures.library("SGTestMarker"), to: impostor)

        let hashed = try LibraryFile(reading: path.path)
        #expect(rename(impostor.path, path.path) == 0, "the swap")

        let pinned = try hashed.load(privateCopy: true).get()
        #expect(try Self.pluginName(pinned) == "dup", "the pinned load must run the bytes that were hashed")
        // The mapping of the private copy: a removed file in a removed stargraph-plugin-* folder.
        let maps = try #require(ProcFile.read("/proc/self/maps"))
        let copy = try #require(maps.split(separator: "\n").lazy
            .compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).joined(separator: " ") }
            .first { $0.contains("/stargraph-plugin-") && $0.hasSuffix("/libplugin.so (deleted)") })
        let copyFolder = ((copy.dropLast(" (deleted)".count).description) as NSString).deletingLastPathComponent
        #expect(!FileManager.default.fileExists(atPath: copyFolder), "the private folder is removed once loaded")

        let byPath = try hashed.load(privateCopy: false).get()
        #expect(try Self.pluginName(byPath) == "marker", "loading by path would have run the swapped file")
    }

    @Test("cleared refuses a library in a folder others can write; a private folder loads")
    func clearedRefusesReplaceableLibraries() throws {
        let folder = try PluginFixtures.temporaryDirectory()
        let library = folder.appendingPathComponent("libSGTestMarker.so")
        try FileManager.default.copyItem(at: PluginFixtures.library("SGTestMarker"), to: library)
        let manifest = try Manifest.load(path: try PluginFixtures.manifest("""
            plugins:
              - name: marker
                library: \(library.path)
                sha256: \(try PluginFixtures.sha256(library))
            """))

        #expect(chmod(folder.path, 0o777) == 0)
        let error = #expect(throws: PluginLoadError.self) { _ = try PluginSet.load(manifest: manifest, policy: .cleared) }
        #expect(error?.reason.contains("other users can write the library or its folder") == true, "\(String(describing: error))")
        let permissive = try PluginSet.load(manifest: manifest, policy: .permissive)
        permissive.close()

        #expect(chmod(folder.path, 0o755) == 0)
        let cleared = try PluginSet.load(manifest: manifest, policy: .cleared)
        #expect(cleared.plugins.map(\.name) == ["marker"])
        cleared.close()
    }
}
