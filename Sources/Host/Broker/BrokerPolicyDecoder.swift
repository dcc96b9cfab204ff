import Foundation
import StargraphCore

/// Reads a parsed `nautilus.yaml` into a ``BrokerPolicy``, reporting every problem at once at
/// its `file:line:column`: unknown keys (at the key), wrong types and bad values (at the value),
/// missing required keys (at the mapping that lacks them).
package struct BrokerPolicyDecoder {
    package static let topLevelKeys = ["version", "clearance_levels", "sources", "agents", "routing", "allowed_hosts", "attestation", "audit"]
    package static let defaultKeyFile = "nautilus-signing.key"
    package static let defaultAuditFile = "nautilus-audit.jsonl"

    package var diagnostics: LoadDiagnostics
    /// The folder relative paths in the config are resolved against.
    package let folder: URL
    package let file: String

    package init(file: String) {
        self.file = file
        diagnostics = LoadDiagnostics(file: file)
        folder = URL(fileURLWithPath: file).deletingLastPathComponent()
    }

    /// Decodes `root`; throws every problem found, sorted by position.
    package static func decode(_ root: YAMLNode, file: String) throws(GraphLoadErrors) -> BrokerPolicy {
        var decoder = BrokerPolicyDecoder(file: file)
        let policy = decoder.decodePolicy(root)
        try decoder.diagnostics.throwIfAny()
        guard let policy else {
            throw GraphLoadErrors([GraphLoadError(file: file, at: root.mark, message: "the nautilus config could not be read")])
        }
        return policy
    }

    private mutating func decodePolicy(_ root: YAMLNode) -> BrokerPolicy? {
        guard let fields = mapping(root, allowed: Self.topLevelKeys, what: "the nautilus config") else { return nil }
        let version = decodeVersion(fields["version"], root: root)
        var levels: [String] = []
        if let node = required(fields, "clearance_levels", in: root, what: "the nautilus config") {
            levels = stringList(node, what: "clearance_levels", nonEmpty: true) ?? []
            reportDuplicates(levels, node: node, what: "clearance level")
        }
        let allowedHosts = fields["allowed_hosts"].flatMap { stringList($0, what: "allowed_hosts") }?.map { $0.lowercased() } ?? []
        var sources: [BrokerSource] = []
        if let node = required(fields, "sources", in: root, what: "the nautilus config"), let items = sequence(node, what: "sources") {
            var seen: Set<String> = []
            for item in items {
                guard let source = decodeSource(item, levels: levels, allowedHosts: allowedHosts) else { continue }
                if !seen.insert(source.id).inserted { error(at: item, "source id '\(source.id)' is used twice; give each source its own id") }
                sources.append(source)
            }
        }
        let agents = fields["agents"].map { decodeAgents($0, levels: levels) } ?? []
        let intentMap = fields["routing"].map { decodeRouting($0, sources: sources) } ?? []
        let attestation = decodeAttestation(fields["attestation"])
        let auditPath = decodeAudit(fields["audit"])
        guard let version else { return nil }
        return BrokerPolicy(
            sourceFile: file, version: version, clearanceLevels: levels, sources: sources, agents: agents,
            intentMap: intentMap, allowedHosts: allowedHosts, attestation: attestation, auditPath: auditPath)
    }

    private mutating func decodeVersion(_ node: YAMLNode?, root: YAMLNode) -> String? {
        guard let node else {
            error(at: root, "the nautilus config needs `version: 1`")
            return nil
        }
        switch node.toJSON() {
        case .number(1), .string("1"), .string("1.0"): return "1"
        default:
            error(at: node, "unsupported version '\(node.scalarText ?? node.kindName)'; this host reads nautilus config version 1")
            return nil
        }
    }

    private mutating func decodeAgents(_ node: YAMLNode, levels: [String]) -> [BrokerAgent] {
        guard let items = sequence(node, what: "agents") else { return [] }
        var agents: [BrokerAgent] = []
        for item in items {
            guard let fields = mapping(item, allowed: ["id", "clearance", "allowed_purposes"], what: "an agent") else { continue }
            let id = required(fields, "id", in: item, what: "an agent").flatMap { identifier($0, what: "agent id") }
            let clearance = required(fields, "clearance", in: item, what: "an agent").flatMap { level($0, levels: levels, what: "clearance") }
            let purposes = required(fields, "allowed_purposes", in: item, what: "an agent").flatMap { stringList($0, what: "allowed_purposes") }
            guard let id, let clearance, let purposes else { continue }
            if agents.contains(where: { $0.id == id }) { error(at: item, "agent id '\(id)' is used twice; merge the two entries") }
            agents.append(BrokerAgent(id: id, clearance: clearance, allowedPurposes: purposes))
        }
        return agents
    }

    private mutating func decodeRouting(_ node: YAMLNode, sources: [BrokerSource]) -> [IntentRule] {
        guard let fields = mapping(node, allowed: ["intent_map"], what: "routing"),
              let map = fields["intent_map"] else { return [] }
        guard let pairs = map.mappingPairs else {
            error(at: map, "intent_map must be a mapping of intent glob to a list of data types, not a \(map.kindName)")
            return []
        }
        let served = Set(sources.flatMap(\.dataTypes))
        var rules: [IntentRule] = []
        for pair in pairs {
            guard let glob = pair.key.scalarText, !glob.isEmpty else {
                error(at: pair.key, "an intent_map key must be a non-empty glob such as '*incident*'")
                continue
            }
            guard let types = stringList(pair.value, what: "intent_map['\(glob)']", nonEmpty: true) else { continue }
            for type in types where !served.contains(type) {
                error(at: pair.value, "data type '\(type)' is served by no source (served: \(served.sorted().joined(separator: ", "))); fix the name or add a source")
            }
            rules.append(IntentRule(glob: glob, dataTypes: types))
        }
        return rules
    }

    private mutating func decodeAttestation(_ node: YAMLNode?) -> AttestationSettings {
        var settings = AttestationSettings(enabled: true, privateKeyPath: resolve(Self.defaultKeyFile))
        guard let node, let fields = mapping(node, allowed: ["enabled", "private_key_path"], what: "attestation") else { return settings }
        if let enabled = fields["enabled"] {
            if let flag = enabled.toJSON().boolValue { settings.enabled = flag } else { error(at: enabled, "attestation.enabled must be true or false") }
        }
        if let path = fields["private_key_path"].flatMap({ string($0, what: "attestation.private_key_path") }) {
            settings.privateKeyPath = resolve(path)
        }
        return settings
    }

    private mutating func decodeAudit(_ node: YAMLNode?) -> String {
        guard let node, let fields = mapping(node, allowed: ["path"], what: "audit"),
              let path = fields["path"].flatMap({ string($0, what: "audit.path") }) else { return resolve(Self.defaultAuditFile) }
        return resolve(path)
    }

    // MARK: - Reading nodes

    package mutating func error(at node: YAMLNode, _ message: String) {
        diagnostics.error(at: node, message)
    }

    /// `path` resolved against the config's folder (absolute paths stay as they are).
    package func resolve(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: folder).standardizedFileURL.path
    }

    /// The node's pairs by key; reports a non-mapping and every key not in `allowed` (at the key).
    package mutating func mapping(_ node: YAMLNode, allowed: [String], what: String) -> [String: YAMLNode]? {
        guard let pairs = node.mappingPairs else {
            error(at: node, "\(what) must be a mapping, not a \(node.kindName)")
            return nil
        }
        var fields: [String: YAMLNode] = [:]
        for pair in pairs {
            let key = pair.key.scalarText ?? ""
            guard allowed.contains(key) else {
                error(at: pair.key, "unknown key '\(key)' in \(what); allowed: \(allowed.joined(separator: ", "))")
                continue
            }
            fields[key] = pair.value
        }
        return fields
    }

    package mutating func required(_ fields: [String: YAMLNode], _ key: String, in parent: YAMLNode, what: String) -> YAMLNode? {
        if let node = fields[key] { return node }
        error(at: parent, "\(what) needs '\(key)'")
        return nil
    }

    package mutating func sequence(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard let items = node.sequenceItems else {
            error(at: node, "\(what) must be a list, not a \(node.kindName)")
            return nil
        }
        return items
    }

    package mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard case .string(let text) = node.toJSON(), !text.isEmpty else {
            error(at: node, "\(what) must be a non-empty string, not \(node.scalarText.map { "'\($0)'" } ?? "a \(node.kindName)")")
            return nil
        }
        return text
    }

    /// A string of letters, digits and `_ . : -`, at most 128 characters.
    package mutating func identifier(_ node: YAMLNode, what: String) -> String? {
        guard let text = string(node, what: what) else { return nil }
        guard text.count <= 128, text.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.:-".unicodeScalars.contains($0)) }) else {
            error(at: node, "\(what) '\(text)' may only use letters, digits and _ . : - (at most 128 characters)")
            return nil
        }
        return text
    }

    package mutating func stringList(_ node: YAMLNode, what: String, nonEmpty: Bool = false) -> [String]? {
        guard let items = sequence(node, what: what) else { return nil }
        if nonEmpty && items.isEmpty {
            error(at: node, "\(what) must list at least one entry")
            return nil
        }
        let texts = items.map { string($0, what: "an entry of \(what)") }
        return texts.contains(nil) ? nil : texts.compactMap { $0 }
    }

    package mutating func level(_ node: YAMLNode, levels: [String], what: String) -> String? {
        guard let text = string(node, what: what) else { return nil }
        guard levels.contains(text) else {
            error(at: node, "\(what) '\(text)' is not one of clearance_levels (\(levels.joined(separator: ", ")))")
            return nil
        }
        return text
    }

    package mutating func number(_ node: YAMLNode, what: String, range: ClosedRange<Double>) -> Double? {
        guard let number = node.toJSON().numberValue, range.contains(number) else {
            error(at: node, "\(what) must be a number from \(CanonicalJSON.formatNumber(range.lowerBound)) to \(CanonicalJSON.formatNumber(range.upperBound)), not '\(node.scalarText ?? node.kindName)'")
            return nil
        }
        return number
    }

    private mutating func reportDuplicates(_ names: [String], node: YAMLNode, what: String) {
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted {
            error(at: node, "\(what) '\(name)' is listed twice; list each once, lowest first")
        }
    }
}
