import StargraphCore
/// Why a manifest or one of its plugins could not be loaded: one error naming where (the
/// manifest entry), which plugin, which file, and what to change. Boot stops on it unless the
/// entry says `optional: true`.
public struct PluginLoadError: Error, Sendable, CustomStringConvertible {
    /// `manifest:line:column` of the entry at fault (or the graph file's location).
    public var location: String
    /// The plugin's name from the manifest, when a plugin is at fault.
    public var plugin: String?
    /// The library (or graph) file at fault, when one is.
    public var file: String?
    /// What is wrong and what to change.
    public var reason: String

    public init(location: String, plugin: String? = nil, file: String? = nil, reason: String) {
        self.location = location
        self.plugin = plugin
        self.file = file
        self.reason = reason
    }

    /// Errors in the manifest file itself (YAML, unknown keys, bad values).
    package init(manifest errors: GraphLoadErrors) {
        self.init(location: errors.errors.first.map { "\($0.file):\($0.line):\($0.column)" } ?? "manifest",
                  reason: errors.errors.map(\.description).joined(separator: "\n"))
    }

    public var description: String {
        if plugin == nil, file == nil, reason.hasPrefix(location) { return reason }
        var subject = ""
        if let plugin { subject += "plugin '\(plugin)' " }
        if let file { subject += "(\(file)) " }
        return "\(location): \(subject.isEmpty ? "" : subject.dropLast() + ": ")\(reason)"
    }
}
