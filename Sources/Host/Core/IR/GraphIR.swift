/// A validated graph in the IR v1 format: nodes, typed state, rules, parallel
/// blocks. Produced only by ``GraphLoader``, so every instance has passed validation.
public struct GraphIR: Sendable {
    public var irVersion: String
    public var id: String
    public var nodes: [NodeSpec]
    public var stateSchema: StateSchema
    public var rules: [Rule]
    public var parallel: [ParallelSpec]
    /// Per-graph step limit (`max_steps:`); the engine's default applies when `nil`.
    public var maxSteps: Int?
    /// Alternative rule sets by version (`rule_packs:`), selectable by a counterfactual mutation.
    public var rulePacks: [String: [Rule]]
    /// `"sha256:" + hex(SHA-256(canonical JSON of the normalised IR))`.
    public var graphHash: String
    /// The YAML text the graph was loaded from, kept so a run can resume without the file.
    public var sourceText: String
    /// Where the graph came from (a path, or `plugin:<name>/<graph>`), for messages.
    public var sourceName: String

    public init(
        irVersion: String, id: String, nodes: [NodeSpec], stateSchema: StateSchema, rules: [Rule],
        parallel: [ParallelSpec], maxSteps: Int?, rulePacks: [String: [Rule]] = [:], graphHash: String,
        sourceText: String, sourceName: String
    ) {
        self.irVersion = irVersion
        self.id = id
        self.nodes = nodes
        self.stateSchema = stateSchema
        self.rules = rules
        self.parallel = parallel
        self.maxSteps = maxSteps
        self.rulePacks = rulePacks
        self.graphHash = graphHash
        self.sourceText = sourceText
        self.sourceName = sourceName
    }

    /// The node with `id`, if the graph has one.
    public func node(_ id: String) -> NodeSpec? { nodes.first { $0.id == id } }

    /// The index of node `id` in declaration order (it decides the fall-through).
    public func nodeIndex(_ id: String) -> Int? { nodes.firstIndex { $0.id == id } }

    /// The declared parallel block named `id`, if any.
    public func parallelBlock(_ id: String) -> ParallelSpec? { parallel.first { $0.id == id } }
}

/// One node of a graph: an id, the node kind that implements it, and the kind's config.
public struct NodeSpec: Sendable, Hashable {
    public var id: String
    public var kind: String
    /// The `config:` mapping, or `.object([:])` when absent.
    public var config: JSONValue
    /// Where the node's `config:` (or, without one, the node) is written, for config errors the
    /// node kind reports; not part of the node's identity.
    public var mark: SourceMark?

    public init(id: String, kind: String, config: JSONValue = .object([:]), mark: SourceMark? = nil) {
        self.id = id
        self.kind = kind
        self.config = config
        self.mark = mark
    }

    public static func == (lhs: NodeSpec, rhs: NodeSpec) -> Bool {
        lhs.id == rhs.id && lhs.kind == rhs.kind && lhs.config == rhs.config
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(kind)
        hasher.combine(config)
    }
}

/// The compiled `state_schema`: typed fields in declaration order.
public struct StateSchema: Sendable, Hashable {
    public var fields: [FieldSpec]

    public init(fields: [FieldSpec]) { self.fields = fields }

    /// The field named `name`, if declared.
    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }
}

/// One state field: its type, optional default and optional reducer.
public struct FieldSpec: Sendable, Hashable {
    public var name: String
    public var type: FieldType
    public var defaultValue: JSONValue?
    /// How patches combine with the current value; `nil` replaces, and makes two parallel
    /// branches writing different values a conflict.
    public var reducer: Reducer?

    public init(name: String, type: FieldType, defaultValue: JSONValue? = nil, reducer: Reducer? = nil) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.reducer = reducer
    }
}

/// The state field types of IR v1.
public enum FieldType: String, Sendable, Hashable, CaseIterable {
    case str, int, float, bool, bytes, list, dict
}

/// How a state field combines a patch with its current value.
public enum Reducer: String, Sendable, Hashable, CaseIterable {
    /// The patch value replaces the current one (later branch wins in a parallel merge).
    case last
    /// Lists concatenate; a non-list patch value is appended as one element.
    case append
    /// Objects merge shallowly, patch keys winning.
    case merge
    /// Numbers add.
    case sum
}

/// What the loader needs to know about a node kind: that it exists, whether it has side
/// effects, and which plugin (`name@version`) provides it (`nil` for built-in kinds).
public struct NodeKindInfo: Sendable, Hashable {
    public var sideEffecting: Bool
    public var provider: String?

    public init(sideEffecting: Bool, provider: String? = nil) {
        self.sideEffecting = sideEffecting
        self.provider = provider
    }
}

/// The node kinds a graph may use, looked up by name at load time.
public protocol NodeKindCatalog: Sendable {
    /// The kind named `name` (e.g. `echo`, `myplugin.fetch`), or `nil` when unknown.
    func kindInfo(_ name: String) -> NodeKindInfo?
    /// Every known kind name, for "did you mean" hints.
    var kindNames: [String] { get }
}
