import Logging
import PluginABI
import Synchronization
import StargraphCore
import StargraphEngine

/// What the host knows about one `invoke`: reachable from the `sg_context` the plugin passes
/// back to the host API (through `host_data`), valid while the call lasts.
package final class PluginInvocation: Sendable {
    package let context: NodeContext
    package let library: PluginLibrary
    /// `<plugin>.<kind>`, for log metadata.
    package let kind: String
    package let cancelled: Atomic<Bool>

    package init(context: NodeContext, library: PluginLibrary, kind: String) {
        self.context = context
        self.library = library
        self.kind = kind
        cancelled = Atomic(Task.isCancelled)
    }

    /// The run's logger, tagged with the plugin kind.
    package var logger: Logger {
        var logger = context.logger
        logger[metadataKey: "plugin_kind"] = .string(kind)
        logger[metadataKey: "run_id"] = .string(context.runId)
        return logger
    }
}

/// The host API table handed to plugins (`sg_host_api`): every function recovers the
/// invocation from `ctx`, and time, randomness and ids go through the invocation's
/// ``HostEffects`` so they are recorded per step.
package enum PluginHostAPI {
    /// The table's address; immutable and never freed, so it is valid for the process's life.
    package static let table = PluginPointer(pointer: makeTable())

    /// Log records from plugins outside an invocation (init, create, shutdown).
    package static let pluginLogger = Logger(label: "stargraph.plugin")

    private static func makeTable() -> UnsafePointer<sg_host_api> {
        let table = UnsafeMutablePointer<sg_host_api>.allocate(capacity: 1)
        table.initialize(to: sg_host_api(
            struct_size: UInt32(MemoryLayout<sg_host_api>.size),
            abi_version: sg_abi_version(major: UInt16(SG_ABI_MAJOR), minor: UInt16(SG_ABI_MINOR)),
            log: { context, level, message in
                let text = message.map { String(cString: $0) } ?? ""
                let logger = PluginHostAPI.invocation(context)?.logger ?? PluginHostAPI.pluginLogger
                logger.log(level: PluginHostAPI.logLevel(level), "\(text)")
            },
            emit_event: { context, type, json, length in
                guard let invocation = PluginHostAPI.invocation(context) else { return SG_ERR_NO_CONTEXT }
                guard let type, let payload = PluginHostAPI.parse(json, length) else { return SG_ERR_INVALID_ARGUMENT }
                invocation.context.host.emit(type: String(cString: type), payload: payload)
                return SG_OK
            },
            is_cancelled: { context in
                guard let invocation = PluginHostAPI.invocation(context) else { return 0 }
                return invocation.cancelled.load(ordering: .relaxed) ? 1 : 0
            },
            now_ms: { context, out in
                guard let invocation = PluginHostAPI.invocation(context) else { return SG_ERR_NO_CONTEXT }
                guard let out else { return SG_ERR_INVALID_ARGUMENT }
                out.pointee = Int64(exactly: invocation.context.host.nowMillis()) ?? 0
                return SG_OK
            },
            random_u64: { context, out in
                guard let invocation = PluginHostAPI.invocation(context) else { return SG_ERR_NO_CONTEXT }
                guard let out else { return SG_ERR_INVALID_ARGUMENT }
                out.pointee = invocation.context.host.random()
                return SG_OK
            },
            uuid: { context, out in
                guard let invocation = PluginHostAPI.invocation(context) else { return SG_ERR_NO_CONTEXT }
                guard let out else { return SG_ERR_INVALID_ARGUMENT }
                let bytes = Array(invocation.context.host.uuid().utf8.prefix(36))
                for (index, byte) in bytes.enumerated() { out[index] = CChar(bitPattern: byte) }
                out[bytes.count] = 0
                return SG_OK
            },
            config: { context, json, length in
                guard let invocation = PluginHostAPI.invocation(context) else { return SG_ERR_NO_CONTEXT }
                guard let json, let length else { return SG_ERR_INVALID_ARGUMENT }
                json.pointee = invocation.library.configPointer
                length.pointee = invocation.library.configLength
                return SG_OK
            }))
        return UnsafePointer(table)
    }

    /// The invocation behind `context`, or `nil` for NULL or a context the host did not make.
    package static func invocation(_ context: UnsafePointer<sg_context>?) -> PluginInvocation? {
        guard let context, context.pointee.struct_size >= MemoryLayout<sg_context>.size,
            context.pointee.host == table.pointer, let data = context.pointee.host_data
        else { return nil }
        return Unmanaged<PluginInvocation>.fromOpaque(data).takeUnretainedValue()
    }

    package static func parse(_ json: UnsafePointer<CChar>?, _ length: Int) -> JSONValue? {
        guard let json else { return nil }
        let bytes = json.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        return try? JSONParser.parse(bytes: bytes)
    }

    package static func logLevel(_ level: Int32) -> Logger.Level {
        switch level {
        case SG_LOG_TRACE: .trace
        case SG_LOG_DEBUG: .debug
        case SG_LOG_INFO: .info
        case SG_LOG_WARNING: .warning
        default: .error
        }
    }
}
