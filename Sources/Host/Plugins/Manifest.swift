import Foundation
import StargraphCore
import StargraphWebhooks

/// A plugin manifest (`manifests/*.yaml`): the plugins to load, extra graph files,
/// and the server's settings (triggers, per-graph concurrency, broker config, API keys).
/// Relative paths are already resolved against the manifest's folder, except plugin
/// `library` values, which ``PluginLibraryLocator`` searches for.
public struct Manifest: Sendable {
    /// One `plugins:` entry.
    public struct PluginEntry: Sendable {
        /// Must equal the name the library declares; prefixes its node kinds.
        public var name: String
        /// As written: a path, or a bare file name searched for.
        public var library: String
        /// Lowercase hex SHA-256 the library file must have, checked before it is opened.
        public var sha256: String?
        /// Handed to the plugin's `init` (a JSON object; `{}` when absent).
        public var config: JSONValue
        /// `true`: a failure is logged and the plugin skipped instead of stopping boot.
        public var optional: Bool
        /// `max_output_bytes`: the largest output one invoke of this plugin's kinds may return;
        /// `nil` takes the manifest's ``Manifest/maxNodeOutputBytes``.
        public var maxOutputBytes: Int?
        /// Where the entry is written, for messages.
        public var mark: SourceMark
    }

    /// The default of ``maxNodeOutputBytes``: 1 MiB.
    public static let defaultMaxNodeOutputBytes = 1 << 20
    /// The largest output limit a manifest may set: 1 GiB.
    public static let largestOutputLimit = 1 << 30

    /// One `graphs:` entry.
    public struct GraphEntry: Sendable {
        /// The graph file, resolved against the manifest's folder.
        public var path: String
        /// Where the entry is written, for messages.
        public var mark: SourceMark
    }

    /// One cron `triggers:` entry (started by the server's scheduler).
    public struct Trigger: Sendable {
        /// Unique among the manifest's triggers.
        public var id: String
        /// A cron expression (`minute hour day-of-month month day-of-week`).
        public var cron: String
        /// IANA time zone name; `nil` means UTC.
        public var timezone: String?
        /// The graph each firing runs.
        public var graphId: String
        /// The run's inputs (state fields).
        public var params: [String: JSONValue]
        /// Where the entry is written, for messages.
        public var mark: SourceMark
    }

    /// The manifest file as given.
    public var path: String
    /// The folder relative paths resolve against.
    public var directory: String
    /// `plugins:`, in load order.
    public var plugins: [PluginEntry] = []
    /// `graphs:`, compiled after every plugin's kinds are registered.
    public var graphs: [GraphEntry] = []
    /// `triggers:`, for the server's scheduler.
    public var triggers: [Trigger] = []
    /// `max_concurrency:` graph id → most runs of it executing at once.
    public var maxConcurrency: [String: Int] = [:]
    /// `nautilus_config:` (the broker config), resolved against the manifest's folder.
    public var nautilusConfig: String?
    /// `api_keys:` (the server's API key file), resolved against the manifest's folder.
    public var apiKeys: String?
    /// `max_node_output_bytes:` the largest output one plugin invoke may return; a larger one
    /// fails its step with `OutputTooLarge` before the host parses or stores it.
    public var maxNodeOutputBytes = defaultMaxNodeOutputBytes
    /// `database_graphs:` whether the `cleared` profile runs graphs found through the database
    /// (a graph id no plugin or file registers, stored by an earlier run); `oss-default` always does.
    public var databaseGraphs = false
    /// `webhooks:` what run webhooks may be and how they are signed; `nil` (webhooks off) when
    /// the manifest has no such section.
    package var webhooks: WebhookPolicy?

    /// The output limit of `entry`'s kinds.
    public func outputLimit(of entry: PluginEntry) -> Int {
        entry.maxOutputBytes ?? maxNodeOutputBytes
    }

    /// Reads and validates the manifest at `path`. Throws every problem found, each at its
    /// `file:line:column` (unknown keys, wrong types, duplicate plugin names, bad pins).
    public static func load(path: String) throws(GraphLoadErrors) -> Manifest {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw GraphLoadErrors([GraphLoadError(file: path, line: 1, column: 1, message: "cannot read manifest '\(path)': \(UnreadableFile.reason(path)); check the path (or pass --manifest)")])
        }
        return try parse(text: text, path: path)
    }

    /// Validates manifest YAML `text` as if read from `path` (which relative paths resolve
    /// against).
    public static func parse(text: String, path: String) throws(GraphLoadErrors) -> Manifest {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var decoder = ManifestDecoder(diagnostics: LoadDiagnostics(file: path), directory: directory)
        var manifest = Manifest(path: path, directory: directory)
        if let root = try YAMLParser.parse(text, sourceName: path) {
            decoder.decode(root, into: &manifest)
        }
        try decoder.diagnostics.throwIfAny()
        return manifest
    }

    /// `relative` resolved against the manifest's folder (absolute paths unchanged).
    package func resolve(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : URL(fileURLWithPath: directory).appendingPathComponent(relative).standardizedFileURL.path
    }
}
