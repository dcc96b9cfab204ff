import Logging
import StargraphEngine
import StargraphStore

/// Which graph a run request names: one the host registers, or — when the host allows it — one
/// that already ran on this database (the tutorial's `stargraph run graph.yaml --checkpoint
/// <serve db>`), compiled from its newest run's stored source.
public struct GraphResolver: Sendable {
    /// The `origin` of a graph found through the database.
    public static let databaseOrigin = "database"

    package let registry: GraphRegistry
    package let runtime: SchedulerRuntime
    /// Whether graphs found through the database run (always in `oss-default`; in `cleared`
    /// only when the manifest says `database_graphs: true`).
    package let allowsStoredGraphs: Bool
    package let logger: Logger

    /// The graph `graphId` names and its origin; with `graphHash`, only that very graph.
    /// - Throws: ``SchedulerError/unknownGraph(_:)``, ``SchedulerError/storedGraphNotAllowed(_:)``
    ///   for a stored graph the host does not run, ``SchedulerError/graphHashMismatch(graphId:requested:actual:)``.
    package func resolve(_ graphId: String, graphHash: String?) async throws(SchedulerError) -> GraphRegistry.Entry {
        var found = registry.entry(graphId)
        if found == nil, let stored = await storedEntry(graphId) {
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
    package func databaseEntries() async throws -> [GraphRegistry.Entry] {
        guard allowsStoredGraphs else { return [] }
        var entries: [GraphRegistry.Entry] = []
        for graphId in try await runtime.store.storedGraphIds() {
            if let entry = await databaseEntry(graphId) { entries.append(entry) }
        }
        return entries
    }

    /// The graph found through the database under `graphId`, when the host runs such graphs and
    /// registers none with that id.
    package func databaseEntry(_ graphId: String) async -> GraphRegistry.Entry? {
        guard allowsStoredGraphs, registry.entry(graphId) == nil else { return nil }
        return await storedEntry(graphId)
    }

    /// The newest stored source of `graphId`, compiled here; `nil` when no run of it is stored
    /// or it no longer compiles against this host's node kinds (logged).
    private func storedEntry(_ graphId: String) async -> GraphRegistry.Entry? {
        do {
            guard let run = try await runtime.store.listRuns(RunQuery(graphId: graphId, limit: 1)).runs.first
            else { return nil }
            var graph = try runtime.engine.compiler.compile(text: run.graphSource, sourceName: run.graphOrigin)
            graph.ir.sourceName = Self.databaseOrigin
            return GraphRegistry.Entry(graph: graph, origin: Self.databaseOrigin)
        } catch {
            logger.warning("a graph stored in the database does not compile here", metadata: ["graph_id": "\(graphId)", "error": "\(error)"])
            return nil
        }
    }
}
