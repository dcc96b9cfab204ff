/// The `nodes:` section and node references.
extension GraphDecoder {
    static let nodeKeys = ["id", "kind", "config", "description"]

    /// Decodes `nodes:` (a non-empty sequence of `{id, kind, config?, description?}`) and
    /// records every node id in ``GraphScope/nodeKinds``.
    mutating func decodeNodes(_ section: YAMLNode) -> [NodeSpec] {
        guard let items = sequence(section, what: "nodes", allowEmpty: false) else { return [] }
        var nodes: [NodeSpec] = []
        var firstSeen: [String: SourceMark] = [:]
        for item in items {
            let fields = fields(of: item, what: "a node", allowed: Self.nodeKeys, required: ["id", "kind"])
            guard !fields.isEmpty else { continue }
            let idNode = fields["id"]
            let id = idNode.flatMap { identifier($0, what: "node id") }
            let kind = fields["kind"].flatMap { nodeKind($0) }
            let config = fields["config"].map { jsonObject($0, what: "node config") } ?? .object([:])
            if let description = fields["description"] { _ = text(description, what: "node description") }
            guard let id, let idNode else { continue }
            if let first = firstSeen[id] {
                diagnostics.error(at: idNode, "duplicate node id '\(id)' (first defined at line \(first.line), column \(first.column)); node ids must be unique, so rename one")
                continue
            }
            firstSeen[id] = idNode.mark
            scope.nodeKinds[id] = kind ?? ""
            if let kind, let config {
                nodes.append(NodeSpec(id: id, kind: kind, config: config, mark: (fields["config"] ?? item).mark))
            }
        }
        return nodes
    }

    /// A node kind known to the catalog.
    private mutating func nodeKind(_ node: YAMLNode) -> String? {
        guard let kind = nonEmptyText(node, what: "node kind") else { return nil }
        guard catalog.kindInfo(kind) != nil else {
            let known = catalog.kindNames.sorted()
            let listing = known.count <= 30 ? "; known kinds: \(known.joined(separator: ", "))" : ""
            diagnostics.error(at: node, "unknown node kind '\(kind)'\(Suggestion.didYouMean(kind, among: known))\(listing). Plugin kinds are known only once their plugin is loaded")
            return nil
        }
        return kind
    }

    /// A reference to an existing node (`what` names the referring field in the message).
    mutating func nodeReference(_ node: YAMLNode, what: String) -> String? {
        guard let id = text(node, what: what) else { return nil }
        return checkNodeExists(id, at: node.mark, what: what) ? id : nil
    }

    /// Records an error when `id` names no node of the graph.
    mutating func checkNodeExists(_ id: String, at mark: SourceMark, what: String) -> Bool {
        guard scope.nodeKinds[id] == nil else { return true }
        let ids = scope.nodeKinds.keys.sorted()
        diagnostics.error(at: mark, "\(what) '\(id)' is not a node of this graph\(Suggestion.didYouMean(id, among: ids)); use one of: \(ids.joined(separator: ", "))")
        return false
    }

    /// A `goto` target: a node or a declared parallel block.
    mutating func gotoTarget(_ node: YAMLNode, what: String) -> String? {
        guard let id = text(node, what: what) else { return nil }
        if scope.nodeKinds[id] != nil || scope.blockIds.contains(id) { return id }
        let candidates = (Array(scope.nodeKinds.keys) + scope.blockIds).sorted()
        diagnostics.error(at: node, "\(what) '\(id)' is neither a node nor a parallel block of this graph\(Suggestion.didYouMean(id, among: candidates)); use one of: \(candidates.joined(separator: ", "))")
        return nil
    }
}
