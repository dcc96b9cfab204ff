import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open descriptor on the log file with the few POSIX operations an append needs.
package struct AuditFile {
    /// Where the chain continues: the last record's bytes (nil for an empty log), whether the
    /// file lacks the newline that must end it, the file's length (where the next batch begins)
    /// and the torn record cut off the end, if there was one.
    package struct Tail {
        package var lastLine: [UInt8]?
        /// The last record's `seq`, when it is a readable record.
        package var lastSeq: Int?
        package var needsNewline: Bool
        package var length: Int
        package var tornBytes: [UInt8]?
    }

    /// Which file the descriptor is open on: its device and inode.
    package struct Identity: Equatable {
        package var device: UInt64
        package var inode: UInt64
    }

    package let path: String
    package let descriptor: Int32

    package init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw AuditLogError.io(path: path, operation: "open", code: errno) }
    }

    package func closeDescriptor() throws {
        if close(descriptor) != 0 { throw AuditLogError.io(path: path, operation: "close", code: errno) }
    }

    package func lockExclusively() throws {
        try retryingInterrupts("flock") { flock(descriptor, LOCK_EX) }
    }

    /// A shared lock: appends (exclusive) wait until it is released, readers do not.
    package func lockShared() throws {
        try retryingInterrupts("flock") { flock(descriptor, LOCK_SH) }
    }

    /// Finds the last non-empty line, reading backwards from the end; trims surplus trailing
    /// newlines so the next record follows the last one directly. A last line without its newline
    /// whose `seq` `seqOfRecord` cannot read is a torn append: it is cut off, and the line before it
    /// continues the chain.
    package func prepareTail(seqOfRecord: ([UInt8]) -> Int?) throws -> Tail {
        let size = try length()
        guard let last = try lastLine(endingBefore: size) else {
            if size > 0 { try truncate(to: 0) }
            return Tail(lastLine: nil, lastSeq: nil, needsNewline: false, length: 0)
        }
        let seq = seqOfRecord(last.bytes)
        if size == last.end && seq == nil {
            try truncate(to: last.start)
            var previous = try prepareTail(seqOfRecord: seqOfRecord)
            previous.tornBytes = last.bytes
            return previous
        }
        if size > last.end + 1 { try truncate(to: last.end + 1) }
        return Tail(lastLine: last.bytes, lastSeq: seq, needsNewline: size == last.end, length: min(size, last.end + 1))
    }

    /// The last non-empty line that ends at or before offset `limit`: its bytes, the offset where
    /// it starts and the offset just past its last byte; `nil` when there is none.
    package func lastLine(endingBefore limit: Int) throws -> (bytes: [UInt8], start: Int, end: Int)? {
        var suffix: [UInt8] = []
        var suffixStart = limit
        while suffixStart > 0 {
            let chunkLength = min(max(4096, suffix.count), suffixStart)
            suffixStart -= chunkLength
            suffix = try read(at: suffixStart, count: chunkLength) + suffix
            guard let lastContent = suffix.lastIndex(where: { $0 != 0x0A }) else { continue }
            let lineStart = suffix[..<lastContent].lastIndex(of: 0x0A).map { $0 + 1 }
            guard lineStart != nil || suffixStart == 0 else { continue }
            return (Array(suffix[(lineStart ?? 0)...lastContent]), suffixStart + (lineStart ?? 0), suffixStart + lastContent + 1)
        }
        return nil
    }

    /// The first line, without its newline; `nil` for an empty file.
    package func firstLine() throws -> [UInt8]? {
        let size = try length()
        var line: [UInt8] = []
        while line.count < size {
            let chunk = try read(at: line.count, count: min(4096, size - line.count))
            if let newline = chunk.firstIndex(of: 0x0A) { return line + chunk[..<newline] }
            line += chunk
        }
        return line.isEmpty ? nil : line
    }

    /// Writes `bytes` at the end and fsyncs; when either fails, cuts the file back to `length`
    /// so no part of the batch stays behind.
    package func appendAtomically(_ bytes: [UInt8], restoringLength length: Int) throws {
        do {
            try writeAll(bytes)
            try synchronize()
        } catch {
            try? truncate(to: length)
            _ = fsync(descriptor)
            throw error
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw AuditLogError.io(path: path, operation: "write", code: errno)
            }
            written += result
        }
    }

    private func synchronize() throws {
        try retryingInterrupts("fsync") { fsync(descriptor) }
    }

    private func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
            }
            if result < 0 && errno == EINTR { continue }
            if result < 0 { throw AuditLogError.io(path: path, operation: "read", code: errno) }
            if result == 0 { throw AuditLogError.io(path: path, operation: "read (file shrank while locked)", code: EIO) }
            filled += result
        }
        return bytes
    }

    package func length() throws -> Int {
        Int(try status().st_size)
    }

    package func identity() throws -> Identity {
        let stats = try status()
        return Identity(device: UInt64(stats.st_dev), inode: UInt64(stats.st_ino))
    }

    private func status() throws -> stat {
        var stats = stat()
        try retryingInterrupts("fstat") { fstat(descriptor, &stats) }
        return stats
    }

    package func truncate(to length: Int) throws {
        try retryingInterrupts("ftruncate") { ftruncate(descriptor, off_t(length)) }
    }

    private func retryingInterrupts(_ operation: String, _ call: () -> Int32) throws {
        while call() != 0 {
            if errno != EINTR { throw AuditLogError.io(path: path, operation: operation, code: errno) }
        }
    }
}
