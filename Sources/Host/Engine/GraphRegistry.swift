/// The graphs a host can run, by graph id: those shipped by plugins, listed in the manifest's
/// `graphs:` section, or given with `--graph`. Filled once at start, read-only afterwards.
public struct GraphRegistry: Sendable {
    /// Where a registered graph came from, for listings and conflict messages.
    public struct Entry: Sendable {
        public let graph: CompiledGraph
        /// `plugin:<name>`, `manifest:<path>` or `file:<path>`.
        public let origin: String
        /// Per-graph `max_concurrency` from the manifest (`nil`: only the global worker limit).
        public let maxConcurrency: Int?

        public init(graph: CompiledGraph, origin: String, maxConcurrency: Int? = nil) {
            self.graph = graph
            self.origin = origin
            self.maxConcurrency = maxConcurrency
        }
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Adds a graph; a second graph with the same id is refused naming both origins.
    public mutating func register(_ entry: Entry) throws(GraphRegistryError) {
        if let existing = entries[entry.graph.id] {
            throw .duplicateGraph(entry.graph.id, first: existing.origin, second: entry.origin)
        }
        entries[entry.graph.id] = entry
    }

    /// The graph registered under `id`.
    public func entry(_ id: String) -> Entry? { entries[id] }

    /// Every registered graph, sorted by id.
    public var all: [Entry] { entries.values.sorted { $0.graph.id < $1.graph.id } }
}

/// A registration that would make graph ids ambiguous.
public enum GraphRegistryError: Error, Sendable, CustomStringConvertible {
    case duplicateGraph(String, first: String, second: String)

    public var description: String {
        switch self {
        case .duplicateGraph(let id, let first, let second):
            "graph id '\(id)' is registered twice: by \(first) and by \(second); graph ids must be unique"
        }
    }
}
