import Hummingbird
import StargraphCore
import StargraphEngine

/// `GET /v1/plugins`: the plugins loaded at start (from the manifest) and every node kind the
/// host offers. Fixed at start, so the document is encoded once.
struct PluginRoutes: Sendable {
    typealias Context = StargraphRequestContext

    private let document: [UInt8]

    /// `plugins` describes each loaded plugin; `kinds` is the host's node-kind registry.
    init(plugins: [JSONValue], kinds: NodeKindRegistry) {
        let kindList: [JSONValue] = kinds.kindNames.map { name in
            let info = kinds.kindInfo(name)
            return [
                "name": .string(name), "side_effecting": .bool(info?.sideEffecting ?? false),
                "provider": info?.provider.map(JSONValue.string) ?? "host",
            ]
        }
        document = CanonicalJSON.bytes(["plugins": .array(plugins), "node_kinds": .array(kindList)])
    }

    /// Adds the route to `group` (mounted at `/v1`).
    func register(on router: Router<Context>) {
        router.on(.listPlugins) { _, _ in JSONMessages.response(bytes: document) }
    }
}
