import Synchronization

/// The graphs compiled from stored runs' sources (``RunEngine/compiledGraph(for:)``), by source
/// text and origin: a server executing thousands of runs of one graph compiles it once.
///
/// A compiled graph holds no per-run state, so one instance serves every run of its source.
/// The cache keeps at most ``capacity`` graphs and starts over when full (graph sources are
/// few; runs are many).
final class CompiledGraphCache: Sendable {
    /// Graphs kept at most before the cache is emptied.
    static let capacity = 64

    private struct Key: Hashable {
        let source: String
        let origin: String
    }

    private let graphs = Mutex<[Key: CompiledGraph]>([:])

    /// The graph compiled from `source`, compiling it with `compiler` on first use.
    /// - Throws: the compiler's ``GraphCompileError`` (nothing is cached then).
    func graph(source: String, origin: String, compiler: GraphCompiler) throws -> CompiledGraph {
        let key = Key(source: source, origin: origin)
        if let graph = graphs.withLock({ $0[key] }) { return graph }
        let graph = try compiler.compile(text: source, sourceName: origin)
        graphs.withLock { graphs in
            if graphs.count >= Self.capacity { graphs.removeAll(keepingCapacity: true) }
            graphs[key] = graph
        }
        return graph
    }
}
