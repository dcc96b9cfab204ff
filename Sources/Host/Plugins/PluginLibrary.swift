import Crypto
import Foundation
import PluginABI
import Synchronization
import StargraphCore
import StargraphEngine

/// A pointer into a plugin's descriptor data. Safe to share across threads: the ABI makes
/// that data immutable while the library is loaded, and the host never unloads a library.
package struct PluginPointer<Pointee>: @unchecked Sendable {
    package let pointer: UnsafePointer<Pointee>
}

/// A plugin library opened and checked against ABI v1: hashed (and its pin
/// verified) before `dlopen` of exactly the bytes hashed, entry symbol, ABI major and struct sizes checked, descriptor
/// read into Swift values. ``initialize()`` and ``shutdown()`` drive its lifecycle.
package final class PluginLibrary: PluginProvider {
    /// A node kind as the descriptor declares it.
    package struct Kind: Sendable {
        package var name: String
        package var sideEffecting: Bool
        package var serial: Bool
        package var configSchema: JSONValue?
        package var descriptor: PluginPointer<sg_node_kind>
    }

    private enum Lifecycle { case loaded, initialized, shutDown }

    package let entry: Manifest.PluginEntry
    /// The manifest location of the entry, for messages.
    package let location: String
    package let path: String
    package let sha256: String
    package let name: String
    package let version: String
    package let abiMinor: UInt16
    package let kinds: [Kind]
    package let graphs: [PluginGraph]
    private let descriptor: PluginPointer<sg_plugin_descriptor>
    /// The entry's config as JSON, handed to `init` and to the host API's `config`; owned by
    /// the host and valid until this value is freed (after `shutdown`).
    private let configStorage: PluginPointer<CChar>
    package let configLength: Int
    private let lifecycle = Mutex(Lifecycle.loaded)

    /// Reads and hashes the file (refusing a pin mismatch before anything is loaded), `dlopen`s
    /// what was hashed (``LibraryFile``) and performs the handshake. Throws the reason, naming
    /// what to change.
    package init(entry: Manifest.PluginEntry, path: String, location: String, policy: PluginLoadPolicy) throws(PluginLoadError) {
        func failure(_ reason: String) -> PluginLoadError {
            PluginLoadError(location: location, plugin: entry.name, file: path, reason: reason)
        }
        self.entry = entry
        self.location = location
        self.path = path
        let file: LibraryFile
        do {
            file = try LibraryFile(reading: path)
        } catch {
            throw failure(error.reason)
        }
        if policy.refusesReplaceableLibraries, file.isReplaceableByOthers {
            throw failure("other users can write the library or its folder, so could replace it; the \(policy.profileName) profile loads only libraries they cannot write (chmod o-w, or move the library)")
        }
        sha256 = SHA256.hash(data: file.bytes).map { String(format: "%02x", $0) }.joined()
        if let pin = entry.sha256, pin != sha256 {
            throw failure("sha256 mismatch: the manifest pins \(pin) but the file has \(sha256); the library was not loaded. Rebuild the expected library or update the pin if this build is trusted")
        }
        let handle: UnsafeMutableRawPointer
        switch file.load(privateCopy: entry.sha256 != nil) {
        case .success(let opened): handle = opened
        case .failure(let error): throw failure(error.reason)
        }
        guard let symbol = dlsym(handle, SG_ENTRY_SYMBOL) else {
            throw failure("the library does not export the entry symbol '\(SG_ENTRY_SYMBOL)'; export it with C linkage (SG_EXPORT in C, @_cdecl(\"\(SG_ENTRY_SYMBOL)\") in Swift)")
        }
        typealias Entry = @convention(c) () -> UnsafePointer<sg_plugin_descriptor>?
        guard let pointer = unsafeBitCast(symbol, to: Entry.self)() else {
            throw failure("'\(SG_ENTRY_SYMBOL)' returned NULL; return a pointer to a static descriptor")
        }
        let raw = UnsafeRawPointer(pointer)
        let abi = raw.load(as: sg_abi_version.self)
        guard abi.major == SG_ABI_MAJOR else {
            throw failure("built for plugin ABI \(abi.major).\(abi.minor), but this host speaks ABI \(SG_ABI_MAJOR).x; rebuild the plugin against this host's stargraph_plugin.h")
        }
        let size = raw.load(fromByteOffset: 4, as: UInt32.self)
        guard size >= MemoryLayout<sg_plugin_descriptor>.size else {
            throw failure("descriptor struct_size is \(size) bytes, smaller than ABI v1's \(MemoryLayout<sg_plugin_descriptor>.size); set struct_size = sizeof(sg_plugin_descriptor) and rebuild")
        }
        let declared = pointer.pointee
        guard let name = declared.name.map({ String(cString: $0) }), PluginNames.isValid(name) else {
            throw failure("the descriptor's name is missing or invalid; \(PluginNames.rule)")
        }
        guard name == entry.name else {
            throw failure("the library declares itself as plugin '\(name)', not '\(entry.name)'; name the manifest entry '\(name)' or load the right library")
        }
        guard let version = declared.version.map({ String(cString: $0) }), !version.isEmpty else {
            throw failure("the descriptor's version is missing; set it, e.g. \"1.0.0\"")
        }
        self.name = name
        self.version = version
        abiMinor = abi.minor
        descriptor = PluginPointer(pointer: pointer)
        do {
            kinds = try Self.readKinds(declared)
            graphs = try Self.readGraphs(declared)
        } catch {
            throw failure(error.reason)
        }
        let config = CanonicalJSON.bytes(entry.config)
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: config.count)
        config.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { storage.initialize(from: $0.baseAddress!, count: $0.count) }
        }
        configStorage = PluginPointer(pointer: UnsafePointer(storage))
        configLength = config.count
    }

    deinit {
        UnsafeMutablePointer(mutating: configStorage.pointer).deallocate()
    }

    /// The entry's config JSON (``configLength`` bytes).
    package var configPointer: UnsafePointer<CChar> { configStorage.pointer }

    package var abiVersion: String { "\(SGABI.major).\(abiMinor)" }

    package var declaredKinds: [PluginInfo.Kind] {
        kinds.map { PluginInfo.Kind(name: "\(name).\($0.name)", sideEffecting: $0.sideEffecting, serial: $0.serial) }
    }

    package func nodeKinds(outputLimit: Int) -> [any NodeKind] {
        kinds.map { PluginNodeKind(library: self, kind: $0, outputLimit: outputLimit) }
    }

    /// Calls the plugin's `init` with the entry's config. Throws its code and message.
    package func initialize() throws(PluginLoadError) {
        lifecycle.withLock { $0 = .initialized }
        guard let initialize = descriptor.pointer.pointee.`init` else { return }
        let call = ErrorBuffer.call { error in
            initialize(PluginHostAPI.table.pointer, configPointer, configLength, error)
        }
        if call.status != 0 {
            lifecycle.withLock { $0 = .loaded }
            throw PluginLoadError(location: location, plugin: name, file: path, reason: "init failed with code \(call.status): \(call.message)")
        }
    }

    /// Whether `init` ran and `shutdown` has not: calls into the plugin are allowed.
    package var isLive: Bool { lifecycle.withLock { $0 == .initialized } }

    /// Calls the plugin's `shutdown` once, if it was initialised; the last call into it.
    package func shutdown() {
        let wasLive = lifecycle.withLock { state in
            defer { state = .shutDown }
            return state == .initialized
        }
        if wasLive { descriptor.pointer.pointee.shutdown?() }
    }

    /// The `count` entries of a descriptor's `table` (`kinds` or `graphs`), each checked to be
    /// non-NULL and, by its leading `struct_size`, at least as large as ABI v1's `type`.
    private static func entries<Entry>(
        _ pointers: UnsafePointer<UnsafePointer<Entry>?>?, count: Int, table: String, type: String
    ) throws(HandshakeFailure) -> [UnsafePointer<Entry>] {
        guard count > 0 else { return [] }
        guard let pointers, count <= 10_000 else {
            throw HandshakeFailure(reason: "\(table.dropLast())_count is \(count) but \(table) is NULL or absurdly long; point \(table) at an array of \(table.dropLast())_count entries")
        }
        return try (0..<count).map { index throws(HandshakeFailure) in
            guard let entry = pointers[index] else { throw HandshakeFailure(reason: "\(table)[\(index)] is NULL") }
            let size = UnsafeRawPointer(entry).load(as: UInt32.self)
            guard size >= MemoryLayout<Entry>.size else {
                throw HandshakeFailure(reason: "\(table)[\(index)].struct_size is \(size), smaller than ABI v1's \(MemoryLayout<Entry>.size); set it to sizeof(\(type))")
            }
            return entry
        }
    }

    private static func readKinds(_ declared: sg_plugin_descriptor) throws(HandshakeFailure) -> [Kind] {
        var kinds: [Kind] = []
        for (index, kind) in try entries(declared.kinds, count: declared.kind_count, table: "kinds", type: "sg_node_kind").enumerated() {
            let value = kind.pointee
            guard let name = value.name.map({ String(cString: $0) }), PluginNames.isValid(name) else {
                throw HandshakeFailure(reason: "kinds[\(index)] has a missing or invalid name; \(PluginNames.rule)")
            }
            guard value.invoke != nil else { throw HandshakeFailure(reason: "kind '\(name)' has no invoke function; set invoke") }
            guard !kinds.contains(where: { $0.name == name }) else { throw HandshakeFailure(reason: "kind '\(name)' is declared twice; give each kind its own name") }
            var schema: JSONValue?
            if let text = value.config_schema.map({ String(cString: $0) }) {
                guard let parsed = try? JSONParser.parse(text), parsed.objectValue != nil else {
                    throw HandshakeFailure(reason: "kind '\(name)' has a config_schema that is not a JSON object; fix the JSON Schema text or set it to NULL")
                }
                schema = parsed
            }
            kinds.append(Kind(
                name: name, sideEffecting: value.flags & UInt32(SG_SIDE_EFFECTING) != 0,
                serial: value.flags & UInt32(SG_SERIAL) != 0, configSchema: schema, descriptor: PluginPointer(pointer: kind)))
        }
        return kinds
    }

    private static func readGraphs(_ declared: sg_plugin_descriptor) throws(HandshakeFailure) -> [PluginGraph] {
        var graphs: [PluginGraph] = []
        for (index, graph) in try entries(declared.graphs, count: declared.graph_count, table: "graphs", type: "sg_graph").enumerated() {
            let value = graph.pointee
            guard let name = value.name.map({ String(cString: $0) }), !name.isEmpty else {
                throw HandshakeFailure(reason: "graphs[\(index)] has no name; set name")
            }
            guard let text = value.ir_yaml, value.ir_len <= 64 << 20,
                let yaml = String(validating: UnsafeRawBufferPointer(start: text, count: value.ir_len), as: UTF8.self)
            else {
                throw HandshakeFailure(reason: "graph '\(name)' has no IR text, or it is not UTF-8; set ir_yaml and ir_len")
            }
            graphs.append(PluginGraph(name: name, yaml: yaml))
        }
        return graphs
    }
}

/// A descriptor that breaks the ABI's rules, with what to change.
package struct HandshakeFailure: Error {
    package let reason: String
}
