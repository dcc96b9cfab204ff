import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphPlugins

@Suite("Plugin manifest")
struct PluginManifestTests {
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("manifests").appendingPathComponent(name).path
    }

    @Test("every section is read, and relative paths resolve against the manifest's folder")
    func fullManifest() throws {
        let path = Self.fixture("full.yaml")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let manifest = try Manifest.load(path: path)
        #expect(manifest.plugins.map(\.name) == ["text", "hello"])
        let text = manifest.plugins[0]
        #expect(text.library == "libStargraphText.so")
        #expect(text.sha256 == "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")
        #expect(text.config == ["greeting": "hi", "retries": 3])
        #expect(text.optional)
        #expect(manifest.plugins[1].config == .object([:]) && !manifest.plugins[1].optional && manifest.plugins[1].sha256 == nil)
        #expect(manifest.graphs.map(\.path) == [folder.appendingPathComponent("graphs/one.yaml").path])
        let trigger = try #require(manifest.triggers.first)
        #expect(trigger.id == "nightly" && trigger.cron == "0 3 * * *" && trigger.timezone == "Europe/Paris")
        #expect(trigger.graphId == "text:shout" && trigger.params == ["message": "wake up"])
        #expect(manifest.maxConcurrency == ["text:shout": 2])
        #expect(manifest.nautilusConfig == folder.deletingLastPathComponent().appendingPathComponent("broker/nautilus.yaml").path)
        #expect(manifest.apiKeys == folder.appendingPathComponent("keys.txt").path)
    }

    @Test("every problem is reported at once, each at file:line:column")
    func invalidManifest() throws {
        let path = Self.fixture("invalid.yaml")
        #expect {
            _ = try Manifest.load(path: path)
        } throws: { error in
            let lines = (error as! GraphLoadErrors).errors.map { "\($0.line):\($0.column): \($0.message)" }
            let expected = [
                "4:13: sha256 'nothex' is not a SHA-256 digest",
                "5:5: unknown key 'optinal' in a plugins entry (did you mean 'optional'?)",
                "6:5: plugin name 'text' is used twice (first at line 2, column 5)",
                "8:13: config must be a mapping",
                "9:11: plugin name 'Bad_Name' is invalid",
                "12:5: a graphs entry is missing the required key 'path'",
                "12:6: unknown key 'file' in a graphs entry",
                "13:24: max_concurrency of 'a' must be a whole number >= 1",
                "15:5: a triggers entry is missing the required key 'graph_id'",
                "16:1: unknown key 'extra' in the manifest",
            ]
            for message in expected where !lines.contains(where: { $0.hasPrefix(message) }) {
                Issue.record("missing error '\(message)' in:\n\(lines.joined(separator: "\n"))")
            }
            return lines.count == expected.count
        }
    }

    @Test("a missing manifest is one error naming the path")
    func missingManifest() {
        #expect {
            _ = try PluginSet.load(manifestPath: "/nonexistent/manifest.yaml")
        } throws: { error in
            "\(error)".contains("cannot read manifest '/nonexistent/manifest.yaml'")
        }
    }

    @Test("an empty manifest loads nothing")
    func emptyManifest() throws {
        let plugins = try PluginSet.load(manifestPath: try PluginFixtures.manifest("# nothing yet\n"))
        #expect(plugins.plugins.isEmpty && plugins.graphs.all.isEmpty)
    }

    @Test("output limits: 1 MiB by default, set per manifest and per plugin, refused outside 1 B to 1 GiB")
    func outputLimits() throws {
        let defaults = try Manifest.load(path: try PluginFixtures.manifest("plugins: [{name: a, library: a.so}]\n"))
        #expect(defaults.outputLimit(of: defaults.plugins[0]) == 1_048_576)
        let set = try Manifest.load(path: try PluginFixtures.manifest("""
            max_node_output_bytes: 2048
            plugins: [{name: a, library: a.so}, {name: b, library: b.so, max_output_bytes: 10}]
            """))
        #expect(set.plugins.map(set.outputLimit(of:)) == [2048, 10])
        let path = try PluginFixtures.manifest("""
            max_node_output_bytes: 0
            plugins: [{name: a, library: a.so, max_output_bytes: 2000000000}]
            """)
        let error = #expect(throws: GraphLoadErrors.self) { _ = try Manifest.load(path: path) }
        #expect(error?.errors.map { "\($0.line):\($0.column)" } == ["1:24", "2:54"])
        #expect(error?.errors.first?.message.contains("from 1 to 1073741824") == true)
    }
}
