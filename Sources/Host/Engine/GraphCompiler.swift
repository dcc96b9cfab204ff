import Synchronization
import StargraphCore

/// A graph ready to execute: the validated IR, one node instance per node, the compiled
/// rules and the state patching of its schema.
public struct CompiledGraph: Sendable {
    public package(set) var ir: GraphIR
    package let nodes: [String: any NodeInstance]
    package let evaluator: RuleEvaluator
    package let patching: StatePatching
    /// Ids of the nodes whose kinds have side effects (replays serve them from recordings).
    package let sideEffectingNodes: Set<String>

    /// The graph id (`id:` in the YAML).
    public var id: String { ir.id }
    /// The graph hash.
    public var hash: String { ir.graphHash }

    /// The same graph running the rules of `rule_packs[version]` instead of `rules:`.
    package func withRulePack(_ version: String) throws(MutationError) -> CompiledGraph {
        guard let rules = ir.rulePacks[version] else {
            throw MutationError("rule_pack_version '\(version)' is not in graph \(id)'s rule_packs")
        }
        return CompiledGraph(
            ir: ir, nodes: nodes, evaluator: RuleEvaluator(rules: rules), patching: patching,
            sideEffectingNodes: sideEffectingNodes)
    }
}

/// Why a graph cannot be compiled: YAML/IR errors (with file:line:column), or node configs
/// their kinds refuse.
public enum GraphCompileError: Error, Sendable, CustomStringConvertible {
    case invalidGraph(GraphLoadErrors)
    case invalidNodeConfig(source: String, [NodeConfigError])

    public var description: String {
        switch self {
        case .invalidGraph(let errors):
            return errors.description
        case .invalidNodeConfig(let source, let errors):
            return errors.map { error in
                let position = error.mark.map { ":\($0.line):\($0.column)" } ?? ""
                return "\(source)\(position): \(error)"
            }.joined(separator: "\n")
        }
    }
}

/// Turns graph YAML into ``CompiledGraph``s against a node-kind registry, caching by source
/// text so repeated runs of one graph compile it once.
public final class GraphCompiler: Sendable {
    /// The node kinds graphs may use.
    public let registry: NodeKindRegistry
    private let cache = Mutex<[String: CompiledGraph]>([:])

    public init(registry: NodeKindRegistry) {
        self.registry = registry
    }

    /// Loads, validates and compiles the graph file at `path`.
    public func compile(path: String) throws(GraphCompileError) -> CompiledGraph {
        let ir: GraphIR
        do {
            ir = try GraphLoader(catalog: registry).load(path: path)
        } catch {
            throw .invalidGraph(error)
        }
        return try compile(ir)
    }

    /// Loads, validates and compiles graph YAML `text` (named `sourceName` in messages).
    public func compile(text: String, sourceName: String) throws(GraphCompileError) -> CompiledGraph {
        if let cached = cache.withLock({ $0[text] }) { return cached }
        let ir: GraphIR
        do {
            ir = try GraphLoader(catalog: registry).load(text: text, sourceName: sourceName)
        } catch {
            throw .invalidGraph(error)
        }
        return try compile(ir)
    }

    private func compile(_ ir: GraphIR) throws(GraphCompileError) -> CompiledGraph {
        var nodes: [String: any NodeInstance] = [:]
        var errors: [NodeConfigError] = []
        for spec in ir.nodes {
            guard let kind = registry.kind(spec.kind) else { continue }
            do {
                nodes[spec.id] = try kind.makeNode(spec, schema: ir.stateSchema)
            } catch var error as NodeConfigError {
                error.mark = error.mark ?? spec.mark
                errors.append(error)
            } catch {
                var wrapped = NodeConfigError(nodeId: spec.id, kind: spec.kind, message: "\(error)")
                wrapped.mark = spec.mark
                errors.append(wrapped)
            }
        }
        guard errors.isEmpty else { throw .invalidNodeConfig(source: ir.sourceName, errors) }
        let compiled = CompiledGraph(
            ir: ir, nodes: nodes, evaluator: RuleEvaluator(rules: ir.rules),
            patching: StatePatching(schema: ir.stateSchema),
            sideEffectingNodes: Set(ir.nodes.filter { registry.kindInfo($0.kind)?.sideEffecting == true }.map(\.id)))
        cache.withLock { $0[ir.sourceText] = compiled }
        return compiled
    }
}
