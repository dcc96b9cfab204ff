import Crypto
import Foundation
import StargraphCore

/// The outcome of checking an audit log's hash chain.
public enum AuditVerification: Sendable, Equatable {
    /// Every record is in place; `records` is how many there are.
    case intact(records: Int)
    /// The first bad record: its 1-based `line`, its `seq` when it could be read, and what is wrong.
    case broken(line: Int, seq: Int?, reason: String)
}

/// What ``AuditVerifier/report(path:publicKey:anchors:)`` checked and found.
public struct AuditReport: Sendable, Equatable {
    /// A check that passed: its name (`chain`, `anchors from DB`, `signatures`) and what it saw.
    public struct Check: Sendable, Equatable {
        public var name: String
        public var detail: String
    }

    /// The first failure: the check that found it, the record and the reason.
    public struct Failure: Error, Sendable, Equatable {
        public var check: String
        public var line: Int
        public var seq: Int?
        public var reason: String
    }

    /// How many records the log holds.
    public var records: Int
    /// The checks that passed, in the order they ran.
    public var passed: [Check]
    /// Why the log is not intact, if it is not.
    public var failure: Failure?

    /// The report reduced to intact or broken.
    public var verification: AuditVerification {
        failure.map { .broken(line: $0.line, seq: $0.seq, reason: $0.reason) } ?? .intact(records: records)
    }
}

/// Where a verifier finds the heads an audit log's writers anchored (the store).
public protocol AuditAnchorLookup: Sendable {
    /// Every anchor of the chain whose first line hashes to `chainSHA256`, by `seq`.
    func auditAnchors(chainSHA256: String) async throws -> [AuditHead]
    /// The latest anchor of each chain anchored under the absolute `logPath`.
    func auditAnchors(logPath: String) async throws -> [AuditHead]
}

/// Checks an ``AuditLog`` file record by record and names the first record that was edited,
/// removed, reordered, damaged or wrongly signed; with anchors, also a log cut short or
/// rewritten after its head was anchored.
public enum AuditVerifier {
    /// Verifies the log at `path`'s chain. With `publicKey`, every record must also carry a valid `sig`.
    ///
    /// A tampered log is reported as ``AuditVerification/broken(line:seq:reason:)``, not thrown;
    /// this throws only when the file cannot be read (check the path and permissions).
    public static func verify(path: String, publicKey: Curve25519.Signing.PublicKey? = nil) throws -> AuditVerification {
        try chainReport(path: path, publicKey: publicKey).report.verification
    }

    /// Runs every check it can: the chain always, signatures with `publicKey`, and the anchors
    /// `anchors` holds for this log (by its chain, or by its path when the chain is unknown).
    /// Stops at the first failure.
    /// - Throws: when the file cannot be read, or the anchors cannot be looked up.
    public static func report(
        path: String, publicKey: Curve25519.Signing.PublicKey?, anchors: (any AuditAnchorLookup)?
    ) async throws -> AuditReport {
        var (report, lines) = try chainReport(path: path, publicKey: publicKey)
        guard report.failure == nil, let anchors else { return report }
        let logPath = URL(fileURLWithPath: path).standardizedFileURL.path
        switch try await AnchorCheck(lines: lines, logPath: logPath, lookup: anchors).run() {
        case .success(let detail): report.passed.append(.init(name: AnchorCheck.name, detail: detail))
        case .failure(let failure): report.failure = failure
        }
        return report
    }

    /// The chain and signature checks of the log at `path`, with its lines.
    private static func chainReport(
        path: String, publicKey: Curve25519.Signing.PublicKey?
    ) throws -> (report: AuditReport, lines: [[UInt8]]) {
        let contents = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var lines = contents.split(separator: 0x0A, omittingEmptySubsequences: false)
        while lines.last?.isEmpty == true { lines.removeLast() }
        var report = AuditReport(records: lines.count, passed: [])
        var previousLine: ArraySlice<UInt8>?
        for (position, line) in lines.enumerated() {
            let expected = ExpectedLink(
                seq: position + 1,
                previousHash: previousLine.map { ContentHash.sha256Hex(Array($0)) } ?? AuditRecordFormat.genesisHash)
            if let failure = check(line: Array(line), expected: expected, publicKey: publicKey) {
                report.failure = AuditReport.Failure(check: failure.check, line: position + 1, seq: failure.seq, reason: failure.reason)
                return (report, [])
            }
            previousLine = line
        }
        report.passed.append(.init(name: "chain", detail: "\(lines.count) records, each linked to the one before"))
        if let publicKey {
            report.passed.append(.init(
                name: "signatures", detail: "\(lines.count) records signed by key \(Ed25519KeyFile.keyId(publicKey))"))
        }
        return (report, lines.map(Array.init))
    }

    /// What the chain requires of the record on a given line.
    private struct ExpectedLink {
        var seq: Int
        var previousHash: String
    }

    private struct Failure {
        var check = "chain"
        var seq: Int?
        var reason: String
    }

    private static func check(line: [UInt8], expected: ExpectedLink,
                              publicKey: Curve25519.Signing.PublicKey?) -> Failure? {
        if line.isEmpty { return Failure(seq: nil, reason: "empty line inside the log (a record was removed or blanked)") }
        let record: JSONValue
        do {
            record = try JSONParser.parse(bytes: line)
        } catch {
            return Failure(seq: nil, reason: "line is not valid JSON (\(error.message) at column \(error.column))")
        }
        guard case .object(let fields) = record else {
            return Failure(seq: nil, reason: "line is a JSON \(record.typeName), not an audit record object")
        }
        let seq = fields[AuditRecordFormat.seqField]?.intValue
        func failure(_ reason: String) -> Failure { Failure(seq: seq, reason: reason) }
        guard let seq else { return failure("record has no integer \"seq\"") }
        guard let previousHash = fields[AuditRecordFormat.previousHashField]?.stringValue else {
            return failure("record has no \"prev_sha256\" string")
        }
        guard let hash = fields[AuditRecordFormat.hashField]?.stringValue else {
            return failure("record has no \"sha256\" string")
        }
        if CanonicalJSON.bytes(record) != line {
            return failure("line is not in canonical JSON form, so it was edited after it was written")
        }
        if AuditRecordFormat.recordHash(fields) != hash {
            return failure("record content does not match its sha256, so it was edited after it was written")
        }
        if seq != expected.seq {
            return failure("seq is \(seq) but \(expected.seq) was expected: a record before it was removed, "
                + "or records were reordered")
        }
        if previousHash != expected.previousHash {
            return failure("prev_sha256 does not match the previous line: the previous line was edited or removed, "
                + "or records were reordered")
        }
        if let publicKey, let reason = signatureFailure(fields, hash: hash, publicKey: publicKey) {
            return Failure(check: "signatures", seq: seq, reason: reason)
        }
        return nil
    }

    private static func signatureFailure(_ fields: [String: JSONValue], hash: String,
                                         publicKey: Curve25519.Signing.PublicKey) -> String? {
        guard let encoded = fields[AuditRecordFormat.signatureField]?.stringValue else {
            return "record has no \"sig\" but a public key was given; the log was not signed with it"
        }
        guard let signature = AuditRecordFormat.base64URLDecoded(encoded) else {
            return "\"sig\" is not base64url"
        }
        guard publicKey.isValidSignature(signature, for: Array(hash.utf8)) else {
            return "signature does not verify with the given public key"
        }
        return nil
    }
}
