import Crypto
import Foundation
import Logging
import Synchronization
import StargraphCore
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
package enum AuditRecordFormat {
    package static let seqField = "seq"
    package static let previousHashField = "prev_sha256"
    package static let hashField = "sha256"
    package static let signatureField = "sig"
    package static let reservedFields = [seqField, previousHashField, hashField, signatureField]
    /// The `prev_sha256` of the first record.
    package static let genesisHash = String(repeating: "0", count: 64)

    /// Hex SHA-256 of the canonical JSON of `fields` without `sha256` and `sig`.
    package static func recordHash(_ fields: [String: JSONValue]) -> String {
        var unsigned = fields
        unsigned[hashField] = nil
        unsigned[signatureField] = nil
        return ContentHash.sha256Hex(CanonicalJSON.bytes(.object(unsigned)))
    }

    package static func base64URLEncoded(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    package static func base64URLDecoded(_ text: String) -> Data? {
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
    /// ``path`` made absolute, as anchors name the log.
    public let absolutePath: String
    private let signingKey: Curve25519.Signing.PrivateKey?
    /// Serialises this instance's appends; `flock` serialises them against other instances and processes.
    private let appendLock = NSLock()
    private let health = WriteHealth()
    /// The chain this instance last appended to, so an append need not re-read the first line.
    private let knownChain = Mutex<KnownChain?>(nil)
    private let logger = Logger(label: "stargraph.audit")

    /// Opens (creating if needed, with parent folders) the log at `path` and checks where its
    /// chain continues: a torn final record (an append that died before its newline) is cut off
    /// and the cut recorded as an `audit_tail_repaired` record; a damaged complete last line is
    /// refused. Throws ``AuditLogError`` when the folder or file cannot be created or written, or
    /// the last line is unusable.
    public init(path: String, signingKey: Curve25519.Signing.PrivateKey? = nil) throws {
        self.path = path
        absolutePath = URL(fileURLWithPath: path).standardizedFileURL.path
        self.signingKey = signingKey
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write([])
    }

    /// The public half of the signing key, when records are signed.
    public var publicKey: Curve25519.Signing.PublicKey? { signingKey?.publicKey }

    /// Appends one batch: each element must be a JSON object of the event's own fields (e.g.
    /// `event`, `run_id`, `ts`) and must not set `seq`, `prev_sha256`, `sha256` or `sig`.
    ///
    /// The batch is written under an exclusive `flock`, chained onto the file's real last line
    /// (so other processes' appends count), then fsync'd once. It is all or nothing: when a write
    /// or the fsync fails (a full disk), the file is cut back to where the batch began. Throws
    /// ``AuditLogError`` for bad records, an unusable last line or I/O failure; nothing is written
    /// for a rejected batch.
    /// - Returns: the chain's head after the batch (its last record), `nil` for an empty batch.
    @discardableResult
    public func append(_ records: [JSONValue]) throws -> AuditHead? {
        let events = try records.enumerated().map { index, record in
            guard case .object(let fields) = record else {
                throw AuditLogError.recordNotObject(index: index, typeName: record.typeName)
            }
            if let field = AuditRecordFormat.reservedFields.first(where: { fields[$0] != nil }) {
                throw AuditLogError.reservedField(index: index, field: field)
            }
            return fields
        }
        guard !events.isEmpty else { return nil }
        return try write(events)
    }

    /// The head of the chain as the file holds it now, other processes' appends included: its
    /// last complete record (a torn final line is skipped). `nil` for an empty log.
    /// - Throws: ``AuditLogError`` when the file cannot be read or its last record has no `seq`.
    public func head() throws -> AuditHead? {
        let file = try AuditFile(path: path)
        defer { try? file.closeDescriptor() }
        try file.lockShared()
        let size = try file.length()
        guard var last = try file.lastLine(endingBefore: size) else { return nil }
        if last.end == size, (try? lastSeq(of: last.bytes)) == nil {
            guard let previous = try file.lastLine(endingBefore: last.start) else { return nil }
            last = previous
        }
        guard let first = try file.firstLine() else { return nil }
        return AuditHead(
            logPath: absolutePath, chainSHA256: ContentHash.sha256Hex(first), seq: try lastSeq(of: last.bytes),
            lineSHA256: ContentHash.sha256Hex(last.bytes))
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
    /// the tail had to be repaired; returns the head when anything was written.
    @discardableResult
    private func write(_ events: [[String: JSONValue]]) throws -> AuditHead? {
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
            guard !events.isEmpty else {
                health.succeeded()
                return nil
            }
            let identity = try file.identity()
            let existingChain = tail.lastLine == nil ? nil : try chain(of: file, identity: identity, length: tail.length)
            let batch = try encode(events, after: tail)
            try file.appendAtomically(batch.bytes, restoringLength: tail.length)
            health.succeeded()
            let chain = existingChain ?? batch.firstLineSHA256
            let length = tail.length + batch.bytes.count
            knownChain.withLock { $0 = KnownChain(identity: identity, length: length, chainSHA256: chain) }
            return AuditHead(logPath: absolutePath, chainSHA256: chain, seq: batch.lastSeq, lineSHA256: batch.lastLineSHA256)
        } catch {
            health.failed(error)
            throw error
        }
    }

    /// A chain appended to: the file (device and inode), its length after that append, and the
    /// hash of its first line. Appends only grow a file, so the same file no shorter than that
    /// still starts with the same line; a replaced or truncated log is read again.
    private struct KnownChain {
        var identity: AuditFile.Identity
        var length: Int
        var chainSHA256: String
    }

    /// The hash of the first line of `file`, whose length is `length`.
    private func chain(of file: AuditFile, identity: AuditFile.Identity, length: Int) throws -> String? {
        if let known = knownChain.withLock({ $0 }), known.identity == identity, length >= known.length {
            return known.chainSHA256
        }
        return try file.firstLine().map(ContentHash.sha256Hex)
    }

    /// A batch's lines, with the seq and line hash of its last record and the hash of its first.
    private struct EncodedBatch {
        var bytes: [UInt8]
        var firstLineSHA256: String
        var lastSeq: Int
        var lastLineSHA256: String
    }

    private func encode(_ events: [[String: JSONValue]], after tail: AuditFile.Tail) throws -> EncodedBatch {
        var seq = 0
        var previousHash = AuditRecordFormat.genesisHash
        if let lastLine = tail.lastLine {
            // The tail read the seq already unless the line is complete but damaged: then say why.
            seq = try tail.lastSeq ?? lastSeq(of: lastLine)
            previousHash = ContentHash.sha256Hex(lastLine)
        }
        var batch: [UInt8] = tail.needsNewline ? [0x0A] : []
        var firstLineHash: String?
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
            firstLineHash = firstLineHash ?? previousHash
        }
        return EncodedBatch(bytes: batch, firstLineSHA256: firstLineHash ?? previousHash, lastSeq: seq, lastLineSHA256: previousHash)
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
