import PluginABI

/// The host's services for one `run` call: time, randomness and ids (recorded per step so
/// replays reproduce them), logging, events, cancellation and the plugin's config. Valid
/// only during the `run` it was passed to; do not keep it.
public struct HostContext {
    /// Log levels understood by the host.
    public enum LogLevel: Int32, Sendable {
        case trace = 0, debug, info, warning, error
    }

    let context: UnsafePointer<sg_context>

    init(_ context: UnsafePointer<sg_context>) {
        self.context = context
    }

    private var api: sg_host_api { context.pointee.host.pointee }

    /// Milliseconds since the Unix epoch, from the host (recorded for replay).
    public func nowMillis() throws -> Int64 {
        var value: Int64 = 0
        try check(api.now_ms?(context, &value), "now_ms")
        return value
    }

    /// A uniformly random integer in [0, 2^53], from the host (recorded for replay).
    public func random() throws -> UInt64 {
        var value: UInt64 = 0
        try check(api.random_u64?(context, &value), "random_u64")
        return value
    }

    /// A random lowercase UUID string, from the host (recorded for replay).
    public func uuid() throws -> String {
        var buffer = [CChar](repeating: 0, count: 37)
        try check(api.uuid?(context, &buffer), "uuid")
        return String(decoding: buffer.prefix(36).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Logs `message` at `level`, tagged by the host with the run and node.
    public func log(_ level: LogLevel, _ message: String) {
        api.log?(context, level.rawValue, message)
    }

    /// Emits a custom event `type` with `payload` for the current run.
    public func emit(event type: String, payload: PluginValue) throws {
        let bytes = try PluginJSON.encode(payload)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { api.emit_event?(context, type, $0.baseAddress, $0.count) }
        }
        try check(status, "emit_event")
    }

    /// Whether the run has been asked to stop; long nodes should check it and throw
    /// `NodeError(code: NodeError.cancelled, ...)`.
    public var isCancelled: Bool { api.is_cancelled?(context) == 1 }

    /// The plugin's `config` from the manifest (`[:]` when none).
    public func pluginConfig() throws -> [String: PluginValue] {
        var json: UnsafePointer<CChar>?
        var length = 0
        try check(api.config?(context, &json, &length), "config")
        guard let json else { return [:] }
        let value = try json.withMemoryRebound(to: UInt8.self, capacity: length) {
            try PluginJSON.parse(UnsafeBufferPointer(start: $0, count: length))
        }
        return value.objectValue ?? [:]
    }

    private func check(_ status: Int32?, _ function: String) throws {
        guard let status else { throw NodeError(message: "the host does not provide \(function)") }
        guard status == 0 else { throw NodeError(code: status, message: "the host refused \(function) (code \(status))") }
    }
}
