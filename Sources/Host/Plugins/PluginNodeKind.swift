import Metrics
import PluginABI
import Synchronization
import StargraphCore
import StargraphEngine

/// A node kind a plugin provides, registered as `<plugin>.<kind>`. Its nodes cross the ABI
/// with the run's state as canonical JSON and expect a JSON object back; anything else fails
/// only that run, with `error_class: PluginError`.
package struct PluginNodeKind: NodeKind {
    package let name: String
    package let info: NodeKindInfo
    package let isSerial: Bool
    package let library: PluginLibrary
    package let kind: PluginLibrary.Kind
    /// Queues the invocations of a `serial` kind (shared by all its nodes); `nil` when thread-safe.
    package let gate: SerialGate?
    /// `stargraph_plugin_invoke_errors_total{kind}`: invokes that failed their run (from zero at load).
    package let invokeErrors: Counter
    /// The largest output an invoke may return, in bytes (the manifest's limit).
    package let outputLimit: Int

    package init(library: PluginLibrary, kind: PluginLibrary.Kind, outputLimit: Int) {
        name = "\(library.name).\(kind.name)"
        info = NodeKindInfo(sideEffecting: kind.sideEffecting, provider: library.provider)
        isSerial = kind.serial
        self.library = library
        self.kind = kind
        gate = kind.serial ? SerialGate() : nil
        invokeErrors = Counter(label: "stargraph_plugin_invoke_errors_total", dimensions: [("kind", name)])
        self.outputLimit = outputLimit
    }

    /// Checks `spec.config` against the kind's schema, then asks the plugin's `create` for an
    /// instance; either refusing becomes a ``NodeConfigError`` with the plugin's message.
    package func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
        if let configSchema = kind.configSchema {
            let problems = ConfigSchemaValidator.problems(spec.config, schema: configSchema)
            guard problems.isEmpty else {
                throw NodeConfigError(nodeId: spec.id, kind: name, message: problems.joined(separator: "; "))
            }
        }
        guard let create = kind.descriptor.pointer.pointee.create else {
            return PluginNode(kind: self, instance: nil)
        }
        let config = CanonicalJSON.bytes(spec.config)
        var instance: UnsafeMutableRawPointer?
        let call = ErrorBuffer.call { error in
            config.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { create(kind.descriptor.pointer, $0.baseAddress, $0.count, &instance, error) }
            }
        }
        guard call.status == 0 else {
            throw NodeConfigError(nodeId: spec.id, kind: name, message: "the plugin refused the config (code \(call.status)): \(call.message)")
        }
        return PluginNode(kind: self, instance: instance)
    }
}

/// The instance pointer a plugin's `create` returned. Sharing it across threads is the
/// plugin's promise (SG_THREAD_SAFE) or the host's doing (SG_SERIAL kinds go through a gate).
package struct PluginInstance: @unchecked Sendable {
    package let pointer: UnsafeMutableRawPointer?
}

/// One graph node of a plugin kind; `destroy`s its instance when the compiled graph goes away.
package final class PluginNode: NodeInstance {
    package let kind: PluginNodeKind
    private let instance: PluginInstance

    package init(kind: PluginNodeKind, instance: UnsafeMutableRawPointer?) {
        self.kind = kind
        self.instance = PluginInstance(pointer: instance)
    }

    deinit {
        if let destroy = kind.kind.descriptor.pointer.pointee.destroy, kind.library.isLive {
            destroy(instance.pointer)
        }
    }

    package func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
        let input = CanonicalJSON.bytes(.object(state))
        let invocation = PluginInvocation(context: context, library: kind.library, kind: kind.name)
        let call: @Sendable () async -> Result<NodeResult, NodeFailure> = { [self] in
            await withTaskCancellationHandler {
                self.call(input, invocation)
            } onCancel: {
                invocation.cancelled.store(true, ordering: .relaxed)
            }
        }
        let result = if let gate = kind.gate { await gate.withGate(call) } else { await call() }
        if case .failure = result { kind.invokeErrors.increment() }
        return try result.get()
    }

    /// One synchronous `invoke` across the ABI, its output copied and released.
    private func call(_ input: [UInt8], _ invocation: PluginInvocation) -> Result<NodeResult, NodeFailure> {
        guard kind.library.isLive, let invoke = kind.kind.descriptor.pointer.pointee.invoke else {
            return .failure(failure("the plugin has been shut down"))
        }
        var output = sg_buffer(data: nil, len: 0, release: nil)
        var context = sg_context(
            struct_size: UInt32(MemoryLayout<sg_context>.size), host: PluginHostAPI.table.pointer,
            host_data: Unmanaged.passUnretained(invocation).toOpaque())
        let call = withExtendedLifetime(invocation) {
            ErrorBuffer.call { error in
                input.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { invoke(instance.pointer, &context, $0.baseAddress, $0.count, &output, error) }
                }
            }
        }
        var bytes: [UInt8]?
        if let data = output.data {
            defer { output.release?(data, output.len) }
            guard output.len <= kind.outputLimit else {
                return .failure(NodeFailure(
                    errorClass: "OutputTooLarge",
                    message: "\(kind.name): returned \(output.len) bytes, over the limit of \(kind.outputLimit); return less, "
                        + "or raise the plugin's max_output_bytes (or the manifest's max_node_output_bytes)"))
            }
            bytes = Array(UnsafeRawBufferPointer(start: data, count: output.len))
        }
        guard call.status == 0 else { return .failure(failure("\(call.message) (code \(call.status))")) }
        guard let bytes else { return .failure(failure("invoke succeeded but set no output; return the state patch as a JSON object")) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes: bytes)
        } catch {
            return .failure(failure("returned invalid JSON (\(error)); return the state patch as a JSON object"))
        }
        guard case .object(let patch) = value else {
            return .failure(failure("returned a JSON \(value.typeName), not an object; return the state patch as a JSON object"))
        }
        return .success(NodeResult(patch: patch))
    }

    private func failure(_ message: String) -> NodeFailure {
        NodeFailure(errorClass: "PluginError", message: "\(kind.name): \(message)")
    }
}
