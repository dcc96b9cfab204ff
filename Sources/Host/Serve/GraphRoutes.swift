import Foundation
import Hummingbird
import StargraphCore
import StargraphEngine
import StargraphScheduler

/// `GET /v1/graphs` and `GET /v1/graphs/{id}`: the graphs this server runs — those it registers
/// (fixed at start, so their documents are encoded once here) and, when it runs them, those
/// found through the database (`origin: database`, read per request).
struct GraphRoutes: Sendable {
    typealias Context = StargraphRequestContext

    private let registered: [JSONValue]
    private let details: [String: [UInt8]]
    private let resolver: GraphResolver

    init(graphs: GraphRegistry, resolver: GraphResolver) {
        let entries = graphs.all
        registered = entries.map(Self.summary)
        details = Dictionary(uniqueKeysWithValues: entries.map { ($0.graph.id, CanonicalJSON.bytes(Self.detail($0))) })
        self.resolver = resolver
    }

    /// Adds the routes to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.listGraphs) { _, _ in
            let stored = try await resolver.databaseEntries().map(Self.summary)
            let items = (registered + stored).sorted { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") }
            return JSONMessages.response(ListPage.json(items: items))
        }
        router.on(.getGraph) { _, context in
            guard let raw = context.parameters.get("id"), let id = raw.removingPercentEncoding else {
                throw Problem(.invalidPathParameter, detail: "the graph id in the path is not valid percent-encoded text")
            }
            if let document = details[id] { return JSONMessages.response(bytes: document) }
            guard let stored = await resolver.databaseEntry(id) else {
                throw Problem(.graphNotFound, detail: "no graph '\(id)' is registered on this server; GET /v1/graphs lists them")
            }
            return JSONMessages.response(Self.detail(stored))
        }
    }

    static func summary(_ entry: GraphRegistry.Entry) -> JSONValue {
        [
            "id": .string(entry.graph.id), "graph_hash": .string(entry.graph.hash), "origin": .string(entry.origin),
            "max_concurrency": entry.maxConcurrency.map { .number(Double($0)) } ?? .null,
            "nodes": .number(Double(entry.graph.ir.nodes.count)),
        ]
    }

    static func detail(_ entry: GraphRegistry.Entry) -> JSONValue {
        var members = summary(entry).objectValue ?? [:]
        let ir = entry.graph.ir
        members["nodes"] = .array(ir.nodes.map { ["id": .string($0.id), "kind": .string($0.kind)] })
        members["state_schema"] = .object(Dictionary(uniqueKeysWithValues: ir.stateSchema.fields.map { field in
            var spec: [String: JSONValue] = ["type": .string(field.type.rawValue)]
            if let value = field.defaultValue { spec["default"] = value }
            if let reducer = field.reducer { spec["reducer"] = .string(reducer.rawValue) }
            return (field.name, .object(spec))
        }))
        members["rules"] = .number(Double(ir.rules.count))
        members["max_steps"] = ir.maxSteps.map { .number(Double($0)) } ?? .null
        members["source"] = .string(ir.sourceText)
        return .object(members)
    }
}
