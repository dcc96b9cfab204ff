import Foundation

/// Loads graph YAML (IR v1) into a validated ``GraphIR``.
///
/// Every problem the loader can find is reported at once, each at the `file:line:column` of
/// the offending node with a message saying what to change; a graph with any problem is not
/// loaded. Node kinds are checked against the catalog given at init, so load plugin graphs
/// after their plugins are registered.
public struct GraphLoader: Sendable {
    /// The node kinds graphs may use.
    public let catalog: any NodeKindCatalog

    /// Creates a loader that resolves node kinds in `catalog`.
    public init(catalog: any NodeKindCatalog) {
        self.catalog = catalog
    }

    /// Loads the graph file at `path`. An unreadable or non-UTF-8 file is one error naming the
    /// path; otherwise see ``load(text:sourceName:)``.
    public func load(path: String) throws(GraphLoadErrors) -> GraphIR {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw GraphLoadErrors([GraphLoadError(file: path, line: 1, column: 1, message: "cannot read graph file '\(path)': \(UnreadableFile.reason(path)); check the path and its permissions")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let valid = Self.validUTF8Prefix(of: data)
            let mark = Self.mark(afterPrefix: valid)
            throw GraphLoadErrors([GraphLoadError(file: path, at: mark, message: "the file is not UTF-8 text (invalid byte at offset \(valid.count)); save it as UTF-8")])
        }
        return try load(text: text, sourceName: path)
    }

    /// Loads a graph from YAML `text`; `sourceName` (a path, or `plugin:<name>/<graph>`) names
    /// it in errors and in ``GraphIR/sourceName``. Throws every problem found, sorted by
    /// position.
    public func load(text: String, sourceName: String) throws(GraphLoadErrors) -> GraphIR {
        var decoder = GraphDecoder(catalog: catalog, diagnostics: LoadDiagnostics(file: sourceName))
        guard let root = try YAMLParser.parse(text, sourceName: sourceName) else {
            decoder.diagnostics.error(at: SourceMark(line: 1, column: 1), "the file holds no graph; a graph needs at least ir_version, id and nodes")
            throw GraphLoadErrors(decoder.diagnostics.errors)
        }
        let graph = decoder.decodeGraph(root, sourceText: text, sourceName: sourceName)
        try decoder.diagnostics.throwIfAny()
        guard let graph else {
            // decodeGraph returns nil only after recording an error; keep the promise regardless.
            throw GraphLoadErrors([GraphLoadError(file: sourceName, at: root.mark, message: "the graph could not be loaded")])
        }
        return graph
    }

    private static func validUTF8Prefix(of data: Data) -> Data {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var validCount = 0
        while case .valid(let scalar) = parser.parseScalar(from: &bytes) {
            validCount += scalar.count
        }
        return data.prefix(validCount)
    }

    private static func mark(afterPrefix prefix: Data) -> SourceMark {
        let text = String(decoding: prefix, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return SourceMark(line: lines.count, column: (lines.last?.unicodeScalars.count ?? 0) + 1)
    }
}

/// The pieces of a graph already decoded, which later sections refer to.
struct GraphScope {
    /// Node id → kind, for every node id written (valid or not, so one bad node does not
    /// cascade into "no such node" errors elsewhere).
    var nodeKinds: [String: String] = [:]
    var schema = StateSchema(fields: [])
    /// Every state field name written, including fields with errors (no cascades either).
    var fieldNames: Set<String> = []
    /// Ids of the graph's `parallel:` blocks, which `goto` may target.
    var blockIds: Set<String> = []
}

/// Walks a parsed graph document section by section, building the IR and recording every
/// problem in ``diagnostics``. Sections live in extensions (nodes, state schema, conditions,
/// actions).
struct GraphDecoder {
    static let topLevelKeys = ["ir_version", "id", "description", "nodes", "state_schema", "rules", "parallel", "max_steps", "rule_packs"]

    let catalog: any NodeKindCatalog
    var diagnostics: LoadDiagnostics
    var scope = GraphScope()

    init(catalog: any NodeKindCatalog, diagnostics: LoadDiagnostics) {
        self.catalog = catalog
        self.diagnostics = diagnostics
    }

    /// Decodes the whole document; `nil` when a required piece is missing (errors recorded).
    mutating func decodeGraph(_ root: YAMLNode, sourceText: String, sourceName: String) -> GraphIR? {
        guard root.mappingPairs != nil else {
            diagnostics.error(at: root, "the top level must be a mapping with ir_version, id and nodes, not a \(root.kindName)")
            return nil
        }
        let fields = fields(
            of: root, what: "the graph", allowed: Self.topLevelKeys, required: ["ir_version", "id", "nodes"],
            hints: ["state_class": "'state_class' is not supported: Python state classes cannot be loaded here; declare the state fields under 'state_schema' instead (e.g. state_schema: {message: str})"]
        )
        let irVersion = fields["ir_version"].flatMap { decodeIRVersion($0) }
        let id = fields["id"].flatMap { graphIdentifier($0) }
        if let description = fields["description"] { _ = text(description, what: "description") }
        let nodes = fields["nodes"].map { decodeNodes($0) } ?? []
        scope.schema = fields["state_schema"].map { decodeStateSchema($0) } ?? StateSchema(fields: [])
        let parallelSources = fields["parallel"].flatMap { sequence($0, what: "parallel", allowEmpty: true) } ?? []
        let parallel = decodeParallelSection(parallelSources)
        let ruleSources = fields["rules"].flatMap { sequence($0, what: "rules", allowEmpty: true) } ?? []
        let rules = decodeRules(ruleSources)
        let maxSteps = fields["max_steps"].flatMap { integer($0, what: "max_steps", atLeast: 1) }
        let rulePackSources = fields["rule_packs"].map { decodeRulePackSources($0) } ?? [:]
        let rulePacks = rulePackSources.mapValues { decodeRules($0) }

        guard let irVersion, let id, diagnostics.isEmpty else { return nil }
        let normalized = GraphNormalizer.normalizedIR(
            irMajor: irVersion.major, id: id, nodes: nodes, ruleSources: ruleSources, parallelSources: parallelSources,
            schema: scope.schema, maxSteps: maxSteps, rulePackSources: rulePackSources, catalog: catalog
        )
        return GraphIR(
            irVersion: irVersion.text, id: id, nodes: nodes, stateSchema: scope.schema, rules: rules, parallel: parallel,
            maxSteps: maxSteps, rulePacks: rulePacks, graphHash: ContentHash.of(normalized), sourceText: sourceText,
            sourceName: sourceName
        )
    }

    /// `ir_version`: `MAJOR[.MINOR[.PATCH]]` with major 1.
    private mutating func decodeIRVersion(_ node: YAMLNode) -> (text: String, major: Int)? {
        guard let text = text(node, what: "ir_version") else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil }),
              let major = Int(parts[0]) else {
            diagnostics.error(at: node, "ir_version '\(text)' is not a version; write ir_version: \"1.0.0\"")
            return nil
        }
        guard major == 1 else {
            diagnostics.error(at: node, "ir_version '\(text)' has major version \(major), but this host reads IR major version 1 only; convert the graph to IR 1.x (e.g. ir_version: \"1.0.0\")")
            return nil
        }
        return (text, major)
    }
}
