import PluginABI

/// The C entry points of every SDK node kind: they decode what the host passes, call the
/// Swift implementation, and encode its result or error back across the ABI.
enum NodeThunks {
    static let create: @convention(c) (
        UnsafePointer<sg_node_kind>?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
        UnsafeMutablePointer<sg_error>?
    ) -> Int32 = { kind, json, length, instance, errorOut in
        guard let data = kind?.pointee.kind_data, let instance else {
            return sg_error_set(errorOut, NodeError.failed, "create was called without a kind or an instance slot")
        }
        let type = Unmanaged<KindBox>.fromOpaque(data).takeUnretainedValue().type
        do {
            var node = type.init()
            try node.configure(try decodeObject(json, length, what: "the node config"))
            instance.pointee = Unmanaged.passRetained(InstanceBox(node)).toOpaque()
            return 0
        } catch {
            return report(error, into: errorOut)
        }
    }

    static let invoke: @convention(c) (
        UnsafeMutableRawPointer?, UnsafePointer<sg_context>?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<sg_buffer>?,
        UnsafeMutablePointer<sg_error>?
    ) -> Int32 = { instance, context, json, length, output, errorOut in
        guard let instance, let context, let output else {
            return sg_error_set(errorOut, NodeError.failed, "invoke was called without an instance, a context or an output slot")
        }
        let node = Unmanaged<InstanceBox>.fromOpaque(instance).takeUnretainedValue().node
        do {
            let input = try decodeObject(json, length, what: "the input state")
            let patch = try node.run(input, host: HostContext(context))
            let bytes = try PluginJSON.encode(.object(patch))
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { buffer.initialize(from: $0.baseAddress!, count: $0.count) }
            }
            output.pointee = sg_buffer(data: buffer, len: bytes.count, release: releaseBuffer)
            return 0
        } catch {
            return report(error, into: errorOut)
        }
    }

    static let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { instance in
        guard let instance else { return }
        Unmanaged<InstanceBox>.fromOpaque(instance).release()
    }

    static let releaseBuffer: @convention(c) (UnsafePointer<CChar>?, Int) -> Void = { data, _ in
        UnsafeMutablePointer(mutating: data)?.deallocate()
    }

    /// Parses `length` bytes at `json` as a JSON object.
    static func decodeObject(_ json: UnsafePointer<CChar>?, _ length: Int, what: String) throws -> [String: PluginValue] {
        guard let json, length > 0 else { return [:] }
        let value = try json.withMemoryRebound(to: UInt8.self, capacity: length) {
            try PluginJSON.parse(UnsafeBufferPointer(start: $0, count: length))
        }
        guard let object = value.objectValue else {
            throw NodeError(code: NodeError.invalidInput, message: "\(what) is not a JSON object")
        }
        return object
    }

    /// Writes `thrown` into the host's error buffer; returns its status code.
    static func report(_ thrown: any Error, into target: UnsafeMutablePointer<sg_error>?) -> Int32 {
        let failure = thrown as? NodeError ?? NodeError(code: NodeError.failed, message: String(describing: thrown))
        return sg_error_set(target, failure.code, failure.message)
    }
}

/// The plugin-level C entry points: `init` and `shutdown`.
enum PluginThunks {
    static let initialize: @convention(c) (UnsafePointer<sg_host_api>?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<sg_error>?) -> Int32 = {
        _, json, length, errorOut in
        guard let onInit = PluginExport.exported.withLock({ $0.onInit }) else { return 0 }
        do {
            try onInit(try NodeThunks.decodeObject(json, length, what: "the plugin config"))
            return 0
        } catch {
            return NodeThunks.report(error, into: errorOut)
        }
    }

    static let shutdown: @convention(c) () -> Void = {
        PluginExport.exported.withLock { $0.onShutdown }?()
    }
}
