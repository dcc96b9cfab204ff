import Foundation
import StargraphCore

/// Compares a log whose chain is intact with the heads its writers anchored: every anchored
/// `seq` must be in the log and hold the very line that was anchored.
///
/// The chain alone cannot see a log cut short, or rewritten from some record on with every
/// hash recomputed; an anchor, committed in a store the log's editor cannot write, can.
package struct AnchorCheck {
    package static let name = "anchors from DB"

    /// The log's lines (its records, in order, chain already checked).
    package let lines: [[UInt8]]
    /// The log's absolute path, to find anchors when its first record is gone or replaced.
    package let logPath: String
    package let lookup: any AuditAnchorLookup

    /// What passed, or the first record that disagrees with an anchor.
    package func run() async throws -> Result<String, AuditReport.Failure> {
        guard let first = lines.first else {
            if let latest = try await lookup.auditAnchors(logPath: logPath).first {
                return .failure(failure(line: 1, seq: nil, "the log is empty, but the database anchored it at seq \(latest.seq): every record was removed"))
            }
            return .failure(failure(line: 1, seq: nil, "the log is empty and the database holds no anchor for \(logPath), so nothing vouches for it"))
        }
        let chain = ContentHash.sha256Hex(first)
        let anchors = try await lookup.auditAnchors(chainSHA256: chain)
        guard !anchors.isEmpty else { return .failure(try await unknownChain(chain)) }
        for anchor in anchors {
            guard anchor.seq <= lines.count else {
                return .failure(failure(line: lines.count, seq: lines.count,
                    "the log ends at seq \(lines.count), but the database anchored seq \(anchor.seq): "
                        + "records \(lines.count + 1)…\(anchor.seq) or more were removed from its end"))
            }
            guard ContentHash.sha256Hex(lines[anchor.seq - 1]) == anchor.lineSHA256 else {
                return .failure(failure(line: anchor.seq, seq: anchor.seq,
                    "the record differs from the one the database anchored at seq \(anchor.seq) (line sha256 \(anchor.lineSHA256.prefix(16))…): "
                        + "it, or a record before it, was rewritten with the chain recomputed"))
            }
        }
        let latest = anchors[anchors.count - 1].seq
        let after = lines.count - latest
        return .success("\(anchors.count) anchors agree, the latest at seq \(latest)"
            + (after == 0 ? "" : "; the \(after) record(s) after it are not anchored yet"))
    }

    /// The failure for a chain the database does not know: rewritten from its first record, or
    /// never written with this database.
    private func unknownChain(_ chain: String) async throws -> AuditReport.Failure {
        if let other = try await lookup.auditAnchors(logPath: logPath).first {
            return failure(line: 1, seq: 1,
                "the database knows no anchor of this log's chain (first record sha256 \(chain.prefix(16))…), but anchored "
                    + "another chain at this path up to seq \(other.seq): the log was rewritten from its first record or replaced")
        }
        return failure(line: 1, seq: 1,
            "the database holds no anchor of this log's chain (first record sha256 \(chain.prefix(16))…) nor any for \(logPath): "
                + "the log was not written with this database, or was rewritten from its first record")
    }

    private func failure(line: Int, seq: Int?, _ reason: String) -> AuditReport.Failure {
        AuditReport.Failure(check: Self.name, line: line, seq: seq, reason: reason)
    }
}
