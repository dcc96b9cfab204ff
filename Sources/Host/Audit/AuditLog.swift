import Crypto
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an audit log could not be opened or appended to.
public enum AuditLogError: Error, CustomStringConvertible {
    /// Element `index` of an appended batch is not a JSON object.
    case recordNotObject(index: Int, typeName: String)
    /// Element `index` of an appended batch sets a field the log itself manages.
    case reservedField(index: Int, field: String)
    /// The log's last line is not a record the chain can continue from.
    case unusableLastLine(path: String, reason: String)
    /// A system call on the log file failed.
    case io(path: String, operation: String, code: Int32)

    public var description: String {
        switch self {
        case .recordNotObject(let index, let typeName):
            "audit record \(index) is a \(typeName); each audit record must be a JSON object of event fields"
        case .reservedField(let index, let field):
            "audit record \(index) sets \"\(field)\", which the audit log fills in itself; remove that field"
        case .unusableLastLine(let path, let reason):
            "cannot continue the audit chain in \(path): its last line \(reason); run `stargraph verify-audit \(path)` "
                + "to locate the damage, then repair the log or move it aside"
        case .io(let path, let operation, let code):
            "audit log \(path): \(operation) failed: \(String(cString: strerror(code))) (errno \(code)); "
                + ([ENOSPC, EDQUOT, EFBIG].contains(code)
                    ? "free space on its file system (or raise the file-size limit); no partial record was kept"
                    : "check the path and its permissions")
        }
    }
}

/// The record format shared by ``AuditLog`` (writing) and ``AuditVerifier`` (checking).
enum AuditRecordFormat {
    static let seqField = "seq"
    static let previousHashField = "prev_sha256"
    static let hashField = "sha256"
    static let signatureField = "sig"
    static let reservedFields = [seqField, previousHashField, hashField, signatureField]
    /// The `prev_sha256` of the first record.
    static let genesisHash = String(repeating: "0", count: 64)

    /// Hex SHA-256 of the canonical JSON of `fields` without `sha256` and `sig`.
    static func recordHash(_ fields: [String: JSONValue]) -> String {
        var unsigned = fields
        unsigned[hashField] = nil
        unsigned[signatureField] = nil
        return ContentHash.sha256Hex(CanonicalJSON.bytes(.object(unsigned)))
    }

    static func base64URLEncoded(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecoded(_ text: String) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard)
    }
}

/// An append-only, hash-chained JSONL audit log, safe to share between threads and
/// between processes.
///
/// Each line is the RFC 8785 canonical JSON of one record: the event's own fields plus `seq`
/// (1-based), `prev_sha256` (hex SHA-256 of the previous line's bytes, 64 zeros for the first),
/// `sha256` (hex SHA-256 of the canonical record without `sha256` and `sig`) and, with a signing
/// key, `sig` (unpadded base64url Ed25519 signature over the `sha256` hex text).
public final class AuditLog: Sendable {
    /// The log file's path.
    public let path: String
    private let signingKey: Curve25519.Signing.PrivateKey?
    /// Serialises this instance's appends; `flock` serialises them against other instances and processes.
    private let appendLock = NSLock()
    private let health = WriteHealth()
    private let logger = Logger(label: "stargraph.audit")

    /// Opens (creating if needed, with parent folders) the log at `path` and checks where its
    /// chain continues: a torn final record (an append that died before its newline) is cut off
    /// and the cut recorded as an `audit_tail_repaired` record; a damaged complete last line is
    /// refused. Throws ``AuditLogError`` when the folder or file cannot be created or written, or
    /// the last line is unusable.
    public init(path: String, signingKey: Curve25519.Signing.PrivateKey? = nil) throws {
        self.path = path
        self.signingKey = signingKey
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write([])
    }

    /// Appends one batch: each element must be a JSON object of the event's own fields (e.g.
    /// `event`, `run_id`, `ts`) and must not set `seq`, `prev_sha256`, `sha256` or `sig`.
    ///
    /// The batch is written under an exclusive `flock`, chained onto the file's real last line
    /// (so other processes' appends count), then fsync'd once. It is all or nothing: when a write
    /// or the fsync fails (a full disk), the file is cut back to where the batch began. Throws
    /// ``AuditLogError`` for bad records, an unusable last line or I/O failure; nothing is written
    /// for a rejected batch.
    public func append(_ records: [JSONValue]) throws {
        let events = try records.enumerated().map { index, record in
            guard case .object(let fields) = record else {
                throw AuditLogError.recordNotObject(index: index, typeName: record.typeName)
            }
            if let field = AuditRecordFormat.reservedFields.first(where: { fields[$0] != nil }) {
                throw AuditLogError.reservedField(index: index, field: field)
            }
            return fields
        }
        guard !events.isEmpty else { return }
        try write(events)
    }

    /// Whether the last append failed, and why; cleared by the next one that succeeds.
    public var lastFailure: WriteFailure? { health.lastFailure }

    /// Checks, when the last append failed, whether the log takes writes again; clears
    /// ``lastFailure`` when it does. The probe appends a block of newlines under the lock and cuts
    /// them off again: empty lines are no part of the chain, so a reader that sees them mid-probe
    /// still reads an intact log.
    public func probeAfterFailure() {
        appendLock.lock()
        defer { appendLock.unlock() }
        health.probe {
            let file = try AuditFile(path: path)
            defer { try? file.closeDescriptor() }
            try file.lockExclusively()
            let length = try file.length()
            try file.appendAtomically([UInt8](repeating: 0x0A, count: 4096), restoringLength: length)
            try file.truncate(to: length)
        }
    }

    /// Chains `events` (possibly none) onto the file, after an `audit_tail_repaired` record when
    /// the tail had to be repaired.
    private func write(_ events: [[String: JSONValue]]) throws {
        appendLock.lock()
        defer { appendLock.unlock() }
        do {
            let file = try AuditFile(path: path)
            defer { try? file.closeDescriptor() }
            try file.lockExclusively()
            let tail = try file.prepareTail(seqOfRecord: { try? lastSeq(of: $0) })
            var events = events
            if let torn = tail.tornBytes {
                events.insert(Self.repairRecord(torn), at: 0)
                logger.warning("cut a torn final record off the audit log (an append that did not finish)", metadata: [
                    "path": "\(path)", "dropped_bytes": "\(torn.count)",
                ])
            }
            guard !events.isEmpty else { return health.succeeded() }
            let batch = try encode(events, after: tail)
            try file.appendAtomically(batch, restoringLength: tail.length)
            health.succeeded()
        } catch {
            health.failed(error)
            throw error
        }
    }

    private func encode(_ events: [[String: JSONValue]], after tail: AuditFile.Tail) throws -> [UInt8] {
        var seq = 0
        var previousHash = AuditRecordFormat.genesisHash
        if let lastLine = tail.lastLine {
            // The tail read the seq already unless the line is complete but damaged: then say why.
            seq = try tail.lastSeq ?? lastSeq(of: lastLine)
            previousHash = ContentHash.sha256Hex(lastLine)
        }
        var batch: [UInt8] = tail.needsNewline ? [0x0A] : []
        for var fields in events {
            seq += 1
            fields[AuditRecordFormat.seqField] = .number(Double(seq))
            fields[AuditRecordFormat.previousHashField] = .string(previousHash)
            let hash = AuditRecordFormat.recordHash(fields)
            fields[AuditRecordFormat.hashField] = .string(hash)
            if let signingKey {
                let signature = try signingKey.signature(for: Array(hash.utf8))
                fields[AuditRecordFormat.signatureField] = .string(AuditRecordFormat.base64URLEncoded(signature))
            }
            let line = CanonicalJSON.bytes(.object(fields))
            batch.append(contentsOf: line)
            batch.append(0x0A)
            previousHash = ContentHash.sha256Hex(line)
        }
        return batch
    }

    /// The record that says a torn tail was cut off: how many bytes and their hash, so what was
    /// dropped stays identifiable.
    private static func repairRecord(_ torn: [UInt8]) -> [String: JSONValue] {
        [
            "event": "audit_tail_repaired", "dropped_bytes": .number(Double(torn.count)),
            "dropped_sha256": .string(ContentHash.sha256Hex(torn)), "ts": .string(Timestamps.format(Date())),
        ]
    }

    private func lastSeq(of line: [UInt8]) throws -> Int {
        let record: JSONValue
        do {
            record = try JSONParser.parse(bytes: line)
        } catch {
            throw AuditLogError.unusableLastLine(path: path, reason: "is not JSON (\(error.message))")
        }
        guard let seq = record[AuditRecordFormat.seqField]?.intValue, seq >= 1 else {
            throw AuditLogError.unusableLastLine(path: path, reason: "has no positive integer \"seq\"")
        }
        return seq
    }
}

/// An open descriptor on the log file with the few POSIX operations an append needs.
private struct AuditFile {
    /// Where the chain continues: the last record's bytes (nil for an empty log), whether the
    /// file lacks the newline that must end it, the file's length (where the next batch begins)
    /// and the torn record cut off the end, if there was one.
    struct Tail {
        var lastLine: [UInt8]?
        /// The last record's `seq`, when it is a readable record.
        var lastSeq: Int?
        var needsNewline: Bool
        var length: Int
        var tornBytes: [UInt8]?
    }

    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw AuditLogError.io(path: path, operation: "open", code: errno) }
    }

    func closeDescriptor() throws {
        if close(descriptor) != 0 { throw AuditLogError.io(path: path, operation: "close", code: errno) }
    }

    func lockExclusively() throws {
        try retryingInterrupts("flock") { flock(descriptor, LOCK_EX) }
    }

    /// Finds the last non-empty line, reading backwards from the end; trims surplus trailing
    /// newlines so the next record follows the last one directly. A last line without its newline
    /// whose `seq` `seqOfRecord` cannot read is a torn append: it is cut off, and the line before it
    /// continues the chain.
    func prepareTail(seqOfRecord: ([UInt8]) -> Int?) throws -> Tail {
        let size = try length()
        var suffix: [UInt8] = []
        var suffixStart = size
        while suffixStart > 0 {
            let chunkLength = min(max(4096, suffix.count), suffixStart)
            suffixStart -= chunkLength
            suffix = try read(at: suffixStart, count: chunkLength) + suffix
            guard let lastContent = suffix.lastIndex(where: { $0 != 0x0A }) else { continue }
            let lineStart = suffix[..<lastContent].lastIndex(of: 0x0A).map { $0 + 1 }
            guard lineStart != nil || suffixStart == 0 else { continue }
            let line = Array(suffix[(lineStart ?? 0)...lastContent])
            let contentEnd = suffixStart + lastContent + 1
            let seq = seqOfRecord(line)
            if size == contentEnd && seq == nil {
                try truncate(to: suffixStart + (lineStart ?? 0))
                var previous = try prepareTail(seqOfRecord: seqOfRecord)
                previous.tornBytes = line
                return previous
            }
            if size > contentEnd + 1 { try truncate(to: contentEnd + 1) }
            return Tail(lastLine: line, lastSeq: seq, needsNewline: size == contentEnd, length: min(size, contentEnd + 1))
        }
        if size > 0 { try truncate(to: 0) }
        return Tail(lastLine: nil, lastSeq: nil, needsNewline: false, length: 0)
    }

    /// Writes `bytes` at the end and fsyncs; when either fails, cuts the file back to `length`
    /// so no part of the batch stays behind.
    func appendAtomically(_ bytes: [UInt8], restoringLength length: Int) throws {
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

    func length() throws -> Int {
        var stats = stat()
        try retryingInterrupts("fstat") { fstat(descriptor, &stats) }
        return Int(stats.st_size)
    }

    func truncate(to length: Int) throws {
        try retryingInterrupts("ftruncate") { ftruncate(descriptor, off_t(length)) }
    }

    private func retryingInterrupts(_ operation: String, _ call: () -> Int32) throws {
        while call() != 0 {
            if errno != EINTR { throw AuditLogError.io(path: path, operation: operation, code: errno) }
        }
    }
}
