import Synchronization

/// The graphs compiled from stored runs' sources (``RunEngine/compiledGraph(for:)``): a server
/// executing thousands of runs of one graph compiles it once. Looked up by the run's recorded
/// graph hash and origin, and used only when its source text is the run's, byte for byte.
///
/// A compiled graph holds no per-run state, so one instance serves every run of its source.
/// The cache keeps at most ``capacity`` graphs and starts over when full (graph sources are
/// few; runs are many).
package final class CompiledGraphCache: Sendable {
    /// Graphs kept at most before the cache is emptied.
    static let capacity = 64

    private struct Key: Hashable {
        let graphHash: String
        let origin: String
    }

    private let graphs = Mutex<[Key: CompiledGraph]>([:])

    /// The graph compiled from `source`, which a run recorded with `graphHash`, compiling it with
    /// `compiler` on first use. The result's own hash is what the caller must check.
    /// - Throws: the compiler's ``GraphCompileError`` (nothing is cached then).
    package func graph(source: String, origin: String, graphHash: String, compiler: GraphCompiler) throws -> CompiledGraph {
        let key = Key(graphHash: graphHash, origin: origin)
        if let graph = graphs.withLock({ $0[key] }), graph.ir.sourceText == source { return graph }
        let graph = try compiler.compile(text: source, sourceName: origin)
        graphs.withLock { graphs in
            if graphs.count >= Self.capacity { graphs.removeAll(keepingCapacity: true) }
            graphs[key] = graph
        }
        return graph
    }
}
