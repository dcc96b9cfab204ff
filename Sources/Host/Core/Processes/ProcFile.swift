import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file under `/proc` read to its end.
///
/// Foundation's file readers size their buffer from `st_size`, which is 0 for `/proc` files,
/// and keep what one `read` returns: a single page of a longer file such as `/proc/self/maps`,
/// or `/proc/stat` on a machine with many CPUs.
package enum ProcFile {
    /// The whole text of `path`, or `nil` when it cannot be opened or read.
    package static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            guard count > 0 else {
                if errno == EINTR { continue }
                return nil
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}
