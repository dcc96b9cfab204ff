import Logging
import StargraphEngine

/// Which graph a run request names: one the host registers, or — when the host allows it — one
/// that already ran on this database (the tutorial's `stargraph run graph.yaml --checkpoint
/// <serve db>`), compiled from its newest run's stored source.
public struct GraphResolver: Sendable {
    /// The `origin` of a graph found through the database.
    public static let databaseOrigin = "database"

    let registry: GraphRegistry
    let runtime: StargraphRuntime
    /// Whether graphs found through the database run (always in `oss-default`; in `cleared`
    /// only when the manifest says `database_graphs: true`).
    let allowsStoredGraphs: Bool
    let logger: Logger

    /// The graph `graphId` names and its origin; with `graphHash`, only that very graph.
    /// - Throws: ``SchedulerError/unknownGraph(_:)``, ``SchedulerError/storedGraphNotAllowed(_:)``
    ///   for a stored graph the host does not run, ``SchedulerError/graphHashMismatch(graphId:requested:actual:)``.
    func resolve(_ graphId: String, graphHash: String?) throws(SchedulerError) -> GraphRegistry.Entry {
        var found = registry.entry(graphId)
        if found == nil, let stored = storedEntry(graphId) {
            guard allowsStoredGraphs else { throw .storedGraphNotAllowed(graphId) }
            found = stored
        }
        guard let entry = found else { throw .unknownGraph(graphId) }
        if let graphHash, graphHash != entry.graph.hash {
            throw .graphHashMismatch(graphId: graphId, requested: graphHash, actual: entry.graph.hash)
        }
        return entry
    }

    /// The graphs found through the database that the registry does not hold, by id; empty
    /// when the host does not run them.
    func databaseEntries() throws -> [GraphRegistry.Entry] {
        guard allowsStoredGraphs else { return [] }
        return try runtime.store.storedGraphIds().compactMap(databaseEntry)
    }

    /// The graph found through the database under `graphId`, when the host runs such graphs and
    /// registers none with that id.
    func databaseEntry(_ graphId: String) -> GraphRegistry.Entry? {
        guard allowsStoredGraphs, registry.entry(graphId) == nil else { return nil }
        return storedEntry(graphId)
    }

    /// The newest stored source of `graphId`, compiled here; `nil` when no run of it is stored
    /// or it no longer compiles against this host's node kinds (logged).
    private func storedEntry(_ graphId: String) -> GraphRegistry.Entry? {
        do {
            guard var graph = try runtime.storedGraph(graphId) else { return nil }
            graph.ir.sourceName = Self.databaseOrigin
            return GraphRegistry.Entry(graph: graph, origin: Self.databaseOrigin)
        } catch {
            logger.warning("a graph stored in the database does not compile here", metadata: ["graph_id": "\(graphId)", "error": "\(error)"])
            return nil
        }
    }
}
