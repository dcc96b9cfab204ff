import PluginABI
import Synchronization

/// Builds the ABI descriptor of a Swift plugin. Export a plugin with one declaration:
///
/// ```swift
/// @_cdecl("stargraph_plugin_v1")
/// public func stargraphPlugin() -> UnsafeRawPointer {
///     PluginExport.descriptor(name: "hello", version: "1.0.0", kinds: [Clock.self, Greet.self])
/// }
/// ```
///
/// The SDK owns every pointer, buffer and error across the ABI: it allocates the descriptor
/// once (the first call's arguments win; later calls return the same pointer, as the ABI
/// requires), decodes inputs, encodes outputs with a release function, and turns thrown
/// errors into status codes with messages.
public enum PluginExport {
    /// The descriptor for a plugin `name` at `version` shipping `kinds` and `graphs`.
    /// `onInit` runs once at load with the manifest entry's `config` (throw ``NodeError`` to
    /// refuse to load); `onShutdown` runs once at host exit.
    public static func descriptor(
        name: String, version: String, kinds: [any NodeKindImpl.Type], graphs: [PluginGraph] = [],
        onInit: (@Sendable ([String: PluginValue]) throws -> Void)? = nil,
        onShutdown: (@Sendable () -> Void)? = nil
    ) -> UnsafeRawPointer {
        exported.withLock { state in
            if let descriptor = state.descriptor { return UnsafeRawPointer(bitPattern: descriptor)! }
            state.onInit = onInit
            state.onShutdown = onShutdown
            let descriptor = DescriptorBuilder.build(name: name, version: version, kinds: kinds, graphs: graphs)
            state.descriptor = UInt(bitPattern: descriptor)
            return descriptor
        }
    }

    struct State {
        /// The descriptor's address, once built (never freed: the ABI needs it while loaded).
        var descriptor: UInt?
        var onInit: (@Sendable ([String: PluginValue]) throws -> Void)?
        var onShutdown: (@Sendable () -> Void)?
    }

    static let exported = Mutex(State())
}

/// Allocates the C structures of a descriptor. They live as long as the library: the host
/// never unloads a plugin, so nothing here is freed.
enum DescriptorBuilder {
    static func build(name: String, version: String, kinds: [any NodeKindImpl.Type], graphs: [PluginGraph]) -> UnsafeRawPointer {
        let kindTable = UnsafeMutablePointer<UnsafePointer<sg_node_kind>?>.allocate(capacity: max(kinds.count, 1))
        for (index, type) in kinds.enumerated() {
            let kind = UnsafeMutablePointer<sg_node_kind>.allocate(capacity: 1)
            kind.initialize(to: sg_node_kind(
                struct_size: UInt32(MemoryLayout<sg_node_kind>.size),
                name: permanent(type.name),
                flags: (type.effects == .sideEffecting ? UInt32(SG_SIDE_EFFECTING) : 0) | (type.threading == .serial ? UInt32(SG_SERIAL) : 0),
                config_schema: type.configSchema.map(permanent),
                kind_data: UnsafeRawPointer(Unmanaged.passRetained(KindBox(type)).toOpaque()),
                create: NodeThunks.create, invoke: NodeThunks.invoke, destroy: NodeThunks.destroy))
            kindTable[index] = UnsafePointer(kind)
        }
        let graphTable = UnsafeMutablePointer<UnsafePointer<sg_graph>?>.allocate(capacity: max(graphs.count, 1))
        for (index, graph) in graphs.enumerated() {
            let entry = UnsafeMutablePointer<sg_graph>.allocate(capacity: 1)
            entry.initialize(to: sg_graph(
                struct_size: UInt32(MemoryLayout<sg_graph>.size), name: permanent(graph.name),
                ir_yaml: permanent(graph.yaml), ir_len: graph.yaml.utf8.count))
            graphTable[index] = UnsafePointer(entry)
        }
        let descriptor = UnsafeMutablePointer<sg_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: sg_plugin_descriptor(
            abi_version: sg_abi_version(major: UInt16(SG_ABI_MAJOR), minor: UInt16(SG_ABI_MINOR)),
            struct_size: UInt32(MemoryLayout<sg_plugin_descriptor>.size),
            name: permanent(name), version: permanent(version),
            kinds: kinds.isEmpty ? nil : UnsafePointer(kindTable), kind_count: kinds.count,
            graphs: graphs.isEmpty ? nil : UnsafePointer(graphTable), graph_count: graphs.count,
            init: PluginThunks.initialize, shutdown: PluginThunks.shutdown))
        return UnsafeRawPointer(descriptor)
    }

    /// A NUL-terminated copy of `text` that is never freed.
    static func permanent(_ text: String) -> UnsafePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        copy.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(copy)
    }
}

/// A kind's type, reachable from the C descriptor through `kind_data`.
final class KindBox: Sendable {
    let type: any NodeKindImpl.Type
    init(_ type: any NodeKindImpl.Type) { self.type = type }
}

/// One configured node, handed to the host as an opaque instance pointer.
final class InstanceBox: Sendable {
    let node: any NodeKindImpl
    init(_ node: any NodeKindImpl) { self.node = node }
}
