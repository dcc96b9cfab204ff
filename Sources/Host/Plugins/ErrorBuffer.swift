import PluginABI

/// The host side of `sg_error`: a stack buffer a plugin call writes its message into.
package enum ErrorBuffer {
    /// Bytes offered to the plugin for a message, NUL included.
    package static let capacity = 1024

    /// Runs `body` with a fresh `sg_error`; returns its status and the message written.
    package static func call(_ body: (UnsafeMutablePointer<sg_error>) -> Int32) -> (status: Int32, message: String) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            // CChar is trivial: an empty message is all the buffer needs before the call.
            buffer[0] = 0
            var error = sg_error(message: buffer.baseAddress, capacity: capacity)
            let status = body(&error)
            guard status != 0 else { return (status, "") }
            buffer[capacity - 1] = 0
            let text = String(cString: buffer.baseAddress!)
            return (status, text.isEmpty ? "(the plugin gave no message)" : text)
        }
    }
}
