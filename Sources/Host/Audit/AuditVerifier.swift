import Crypto
import Foundation

/// The outcome of checking an audit log's hash chain.
public enum AuditVerification: Sendable, Equatable {
    /// Every record is in place; `records` is how many there are.
    case intact(records: Int)
    /// The first bad record: its 1-based `line`, its `seq` when it could be read, and what is wrong.
    case broken(line: Int, seq: Int?, reason: String)
}

/// Checks an ``AuditLog`` file record by record and names the first record that was edited,
/// removed, reordered, damaged or wrongly signed.
public enum AuditVerifier {
    /// Verifies the log at `path`. With `publicKey`, every record must also carry a valid `sig`.
    ///
    /// A tampered log is reported as ``AuditVerification/broken(line:seq:reason:)``, not thrown;
    /// this throws only when the file cannot be read (check the path and permissions).
    public static func verify(path: String, publicKey: Curve25519.Signing.PublicKey? = nil) throws -> AuditVerification {
        let contents = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var lines = contents.split(separator: 0x0A, omittingEmptySubsequences: false)
        while lines.last?.isEmpty == true { lines.removeLast() }
        var previousLine: ArraySlice<UInt8>?
        for (position, line) in lines.enumerated() {
            let expected = ExpectedLink(
                seq: position + 1,
                previousHash: previousLine.map { ContentHash.sha256Hex(Array($0)) } ?? AuditRecordFormat.genesisHash)
            if let failure = check(line: Array(line), expected: expected, publicKey: publicKey) {
                return .broken(line: position + 1, seq: failure.seq, reason: failure.reason)
            }
            previousLine = line
        }
        return .intact(records: lines.count)
    }

    /// What the chain requires of the record on a given line.
    private struct ExpectedLink {
        var seq: Int
        var previousHash: String
    }

    private struct Failure {
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
        if let publicKey {
            return signatureFailure(fields, hash: hash, publicKey: publicKey).map(failure)
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
