import StargraphCore
/// The node kinds known to a host: the built-ins plus whatever plugins registered. Graphs are
/// validated against it, and the engine instantiates nodes from it.
public struct NodeKindRegistry: NodeKindCatalog {
    private var kinds: [String: any NodeKind] = [:]

    /// An empty registry.
    public init() {}

    /// A registry holding the built-in kinds (`echo`, `passthrough`, `halt`, `template`,
    /// `set`, `interrupt`, `delay`, `fail`).
    public static func builtins() -> NodeKindRegistry {
        var registry = NodeKindRegistry()
        for kind in BuiltinNodeKinds.all {
            registry.kinds[kind.name] = kind
        }
        return registry
    }

    /// Adds `kind`; a name already taken is refused (naming it), never silently replaced.
    public mutating func register(_ kind: any NodeKind) throws(RegistryError) {
        guard kinds[kind.name] == nil else {
            throw RegistryError.duplicateKind(kind.name, existingProvider: kinds[kind.name]?.info.provider)
        }
        kinds[kind.name] = kind
    }

    /// The kind named `name`, if registered.
    public func kind(_ name: String) -> (any NodeKind)? { kinds[name] }

    public func kindInfo(_ name: String) -> NodeKindInfo? { kinds[name]?.info }

    public var kindNames: [String] { kinds.keys.sorted() }
}

/// A registration that would make the registry ambiguous.
public enum RegistryError: Error, Sendable, CustomStringConvertible {
    case duplicateKind(String, existingProvider: String?)

    public var description: String {
        switch self {
        case .duplicateKind(let name, let provider):
            "node kind '\(name)' is already registered by \(provider ?? "the host (built-in)"); rename one of them"
        }
    }
}
