import StargraphCore
/// Walks a parsed manifest, filling a ``Manifest`` and recording every problem at its
/// `file:line:column` in ``diagnostics``.
package struct ManifestDecoder {
    package static let topLevelKeys = ["plugins", "graphs", "triggers", "max_concurrency", "nautilus_config", "api_keys", "max_node_output_bytes", "database_graphs", "webhooks"]
    package static let pluginKeys = ["name", "library", "sha256", "config", "optional", "max_output_bytes"]
    package static let triggerKeys = ["id", "cron", "timezone", "graph_id", "params"]

    package var diagnostics: LoadDiagnostics
    package let directory: String

    package mutating func decode(_ root: YAMLNode, into manifest: inout Manifest) {
        let fields = fields(of: root, what: "the manifest", allowed: Self.topLevelKeys)
        if let node = fields["plugins"] {
            manifest.plugins = items(node, what: "plugins").compactMap { plugin($0) }
            checkUnique(manifest.plugins.map { ($0.name, $0.mark) }, what: "plugin name")
        }
        if let node = fields["graphs"] {
            manifest.graphs = items(node, what: "graphs").compactMap { item in
                let graph = self.fields(of: item, what: "a graphs entry", allowed: ["path"], required: ["path"])
                return graph["path"].flatMap { text($0, what: "path") }.map {
                    Manifest.GraphEntry(path: manifest.resolve($0), mark: item.mark)
                }
            }
        }
        if let node = fields["triggers"] {
            manifest.triggers = items(node, what: "triggers").compactMap { trigger($0) }
            checkUnique(manifest.triggers.map { ($0.id, $0.mark) }, what: "trigger id")
        }
        if let node = fields["max_concurrency"] {
            manifest.maxConcurrency = maxConcurrency(node)
        }
        manifest.nautilusConfig = fields["nautilus_config"].flatMap { text($0, what: "nautilus_config") }.map(manifest.resolve)
        manifest.apiKeys = fields["api_keys"].flatMap { text($0, what: "api_keys") }.map(manifest.resolve)
        if let node = fields["max_node_output_bytes"], let limit = outputLimit(node, what: "max_node_output_bytes") {
            manifest.maxNodeOutputBytes = limit
        }
        if let node = fields["database_graphs"] { manifest.databaseGraphs = flag(node, what: "database_graphs") ?? false }
        if let node = fields["webhooks"] { manifest.webhooks = webhooks(node) }
    }

    /// A `true`/`false` scalar.
    private mutating func flag(_ node: YAMLNode, what: String) -> Bool? {
        guard let flag = node.toJSON().boolValue else {
            diagnostics.error(at: node, "\(what) must be true or false, not '\(node.scalarText ?? node.kindName)'")
            return nil
        }
        return flag
    }

    /// A byte count from 1 to ``Manifest/largestOutputLimit``.
    private mutating func outputLimit(_ node: YAMLNode, what: String) -> Int? {
        guard let limit = node.toJSON().intValue, (1...Manifest.largestOutputLimit).contains(limit) else {
            diagnostics.error(at: node, "\(what) must be a whole number of bytes from 1 to \(Manifest.largestOutputLimit) (1 GiB), not '\(node.scalarText ?? node.kindName)'")
            return nil
        }
        return limit
    }

    private mutating func plugin(_ node: YAMLNode) -> Manifest.PluginEntry? {
        let fields = fields(of: node, what: "a plugins entry", allowed: Self.pluginKeys, required: ["name", "library"])
        let name = fields["name"].flatMap { text($0, what: "the plugin name") }
        if let name, let nameNode = fields["name"], !PluginNames.isValid(name) {
            diagnostics.error(at: nameNode, "plugin name '\(name)' is invalid; \(PluginNames.rule)")
        }
        let library = fields["library"].flatMap { text($0, what: "library") }
        var sha256: String?
        if let pinNode = fields["sha256"], let pin = text(pinNode, what: "sha256") {
            sha256 = PluginNames.normalizedSHA256(pin)
            if sha256 == nil {
                diagnostics.error(at: pinNode, "sha256 '\(pin)' is not a SHA-256 digest; write 64 hex digits (optionally prefixed with 'sha256:'), e.g. the output of `sha256sum LIBRARY`")
            }
        }
        var config = JSONValue.object([:])
        if let configNode = fields["config"] {
            switch configNode.toJSON() {
            case .object(let members): config = .object(members)
            case .null: break
            default: diagnostics.error(at: configNode, "config must be a mapping (handed to the plugin's init as a JSON object), not a \(configNode.kindName)")
            }
        }
        let optional = fields["optional"].flatMap { flag($0, what: "optional") } ?? false
        let maxOutputBytes = fields["max_output_bytes"].flatMap { outputLimit($0, what: "max_output_bytes") }
        guard let name, let library else { return nil }
        return Manifest.PluginEntry(
            name: name, library: library, sha256: sha256, config: config, optional: optional, maxOutputBytes: maxOutputBytes, mark: node.mark)
    }

    private mutating func trigger(_ node: YAMLNode) -> Manifest.Trigger? {
        let fields = fields(of: node, what: "a triggers entry", allowed: Self.triggerKeys, required: ["id", "cron", "graph_id"])
        let id = fields["id"].flatMap { text($0, what: "the trigger id") }
        let cron = fields["cron"].flatMap { text($0, what: "cron") }
        let timezone = fields["timezone"].flatMap { text($0, what: "timezone") }
        let graphId = fields["graph_id"].flatMap { text($0, what: "graph_id") }
        var params: [String: JSONValue] = [:]
        if let paramsNode = fields["params"] {
            switch paramsNode.toJSON() {
            case .object(let members): params = members
            case .null: break
            default: diagnostics.error(at: paramsNode, "params must be a mapping of state fields to values, not a \(paramsNode.kindName)")
            }
        }
        guard let id, let cron, let graphId else { return nil }
        return Manifest.Trigger(id: id, cron: cron, timezone: timezone, graphId: graphId, params: params, mark: node.mark)
    }

    private mutating func maxConcurrency(_ node: YAMLNode) -> [String: Int] {
        guard let pairs = node.mappingPairs else {
            diagnostics.error(at: node, "max_concurrency must be a mapping of graph id to a whole number >= 1, e.g. max_concurrency: {\"run:hello\": 4}")
            return [:]
        }
        var limits: [String: Int] = [:]
        for (key, value) in pairs {
            guard let graphId = key.scalarText else { continue }
            guard let limit = value.toJSON().intValue, limit >= 1 else {
                diagnostics.error(at: value, "max_concurrency of '\(graphId)' must be a whole number >= 1, not '\(value.scalarText ?? value.kindName)'")
                continue
            }
            limits[graphId] = limit
        }
        return limits
    }

    // MARK: - Typed reads

    mutating func fields(of node: YAMLNode, what: String, allowed: [String], required: [String] = []) -> [String: YAMLNode] {
        guard let pairs = node.mappingPairs else {
            diagnostics.error(at: node, "\(what) must be a mapping (with keys \(allowed.joined(separator: ", "))), not a \(node.kindName)")
            return [:]
        }
        var values: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            guard let name = key.scalarText else { continue }
            if allowed.contains(name) {
                values[name] = value
            } else {
                diagnostics.error(at: key, "unknown key '\(name)' in \(what)\(Suggestion.didYouMean(name, among: allowed)); allowed keys: \(allowed.joined(separator: ", "))")
            }
        }
        for name in required where values[name] == nil {
            diagnostics.error(at: node, "\(what) is missing the required key '\(name)'; add it")
        }
        return values
    }

    mutating func items(_ node: YAMLNode, what: String) -> [YAMLNode] {
        if case .scalar = node.content, node.toJSON() == .null { return [] }
        guard let items = node.sequenceItems else {
            diagnostics.error(at: node, "\(what) must be a sequence (a '- item' list), not a \(node.kindName)")
            return []
        }
        return items
    }

    mutating func text(_ node: YAMLNode, what: String) -> String? {
        switch node.toJSON() {
        case .string, .number:
            guard let value = node.scalarText, !value.isEmpty else { break }
            return value
        default: break
        }
        diagnostics.error(at: node, "\(what) must be non-empty text, not \(node.toJSON() == .null ? "empty" : "a \(node.kindName)")")
        return nil
    }

    private mutating func checkUnique(_ entries: [(String, SourceMark)], what: String) {
        var first: [String: SourceMark] = [:]
        for (name, mark) in entries {
            if let earlier = first[name] {
                diagnostics.error(at: mark, "\(what) '\(name)' is used twice (first at line \(earlier.line), column \(earlier.column)); give each entry its own")
            } else {
                first[name] = mark
            }
        }
    }
}

/// Naming rules shared by manifests and plugin descriptors.
package enum PluginNames {
    package static let rule = "use 1-64 characters from a-z, 0-9, '_', '-' and '.', starting with a letter or digit"

    /// `^[a-z0-9][a-z0-9_.-]{0,63}$`: plugin and kind names.
    package static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64, isLowerAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `pin` as 64 lowercase hex digits (a `sha256:` prefix is dropped), or `nil` if it is not one.
    package static func normalizedSHA256(_ pin: String) -> String? {
        let hex = (pin.hasPrefix("sha256:") ? String(pin.dropFirst(7)) : pin).lowercased()
        guard hex.utf8.count == 64, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
        return hex
    }
}
