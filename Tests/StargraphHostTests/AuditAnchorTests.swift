import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphAudit

/// The audit chain's head is anchored in the store with the writes it audits, so a log cut
/// short or rewritten with every hash recomputed, which the chain alone accepts, fails.
@Suite("Audit: anchors in the database")
struct AuditAnchorTests {
    /// A pipeline run (6 events, 5 commits) into a fresh store and log.
    static func auditedRun() async throws -> (harness: EngineHarness, log: String) {
        let harness = try await EngineHarness(auditLog: true)
        _ = try await harness.run(try EngineHarness.fixture("pipeline.yaml"), inputs: ["message": "x"])
        return (harness, harness.directory.appendingPathComponent("audit.jsonl").path)
    }

    static func lines(_ path: String) throws -> [[UInt8]] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))).split(separator: 0x0A).map(Array.init)
    }

    /// Rewrites the log from `records`' own fields with a fresh chain, as an editor holding the
    /// format (but not the database) would.
    static func rechain(_ path: String, _ records: [[UInt8]]) throws {
        try FileManager.default.removeItem(atPath: path)
        let log = try AuditLog(path: path)
        for line in records {
            guard case .object(var fields) = try JSONParser.parse(bytes: line) else { continue }
            for field in AuditRecordFormat.reservedFields { fields[field] = nil }
            try log.append([.object(fields)])
        }
    }

    static func report(_ harness: EngineHarness, _ log: String) async throws -> AuditReport {
        try await AuditVerifier.report(path: log, publicKey: nil, anchors: harness.store)
    }

    @Test("every audited commit anchors the head it reached, in its own transaction")
    func commitsAnchorTheirHead() async throws {
        let (harness, log) = try await Self.auditedRun()
        let lines = try Self.lines(log)
        let anchors = try harness.store.auditAnchors(chainSHA256: ContentHash.sha256Hex(lines[0]))
        #expect(anchors.map(\.seq) == [1, 2, 3, 4, 6], "created; started; steps 0 and 1; step 2 with run_done")
        for anchor in anchors { #expect(anchor.lineSHA256 == ContentHash.sha256Hex(lines[anchor.seq - 1])) }
        #expect(anchors.allSatisfy { $0.logPath == URL(fileURLWithPath: log).standardizedFileURL.path })
        #expect(try harness.runtime.audit?.head() == anchors.last)
        let report = try await Self.report(harness, log)
        #expect(report.failure == nil)
        #expect(report.passed.map(\.name) == ["chain", "anchors from DB"])
    }

    @Test("the last record dropped, or the log cut in half, is shorter than its anchors")
    func truncationFails() async throws {
        let (harness, log) = try await Self.auditedRun()
        let lines = try Self.lines(log)
        for kept in [lines.count - 1, lines.count / 2] {
            try Data(lines.prefix(kept).flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: log))
            #expect(try AuditVerifier.verify(path: log) == .intact(records: kept), "the chain alone cannot see it")
            let failure = try #require(try await Self.report(harness, log).failure)
            #expect(failure.check == "anchors from DB")
            #expect(failure.reason.contains("the log ends at seq \(kept)"), "\(failure.reason)")
        }
        try Data().write(to: URL(fileURLWithPath: log))
        #expect(try await Self.report(harness, log).failure?.reason.contains("every record was removed") == true)
    }

    @Test("a middle record deleted and the chain recomputed disagrees with the first anchor after it")
    func recomputedChainFails() async throws {
        let (harness, log) = try await Self.auditedRun()
        var lines = try Self.lines(log)
        lines.remove(at: 2)
        try Self.rechain(log, lines)
        #expect(try AuditVerifier.verify(path: log) == .intact(records: 5), "the recomputed chain is intact")
        let failure = try #require(try await Self.report(harness, log).failure)
        #expect(failure.seq == 3, "seq 3 is the first anchored record that changed")
        #expect(failure.reason.contains("differs from the one the database anchored at seq 3"), "\(failure.reason)")
    }

    @Test("a whole chain rewritten from its first record is unknown to the database")
    func rewrittenChainFails() async throws {
        let (harness, log) = try await Self.auditedRun()
        var lines = try Self.lines(log)
        lines[0] = Array(String(decoding: lines[0], as: UTF8.self).replacingOccurrences(of: "\"x\"", with: "\"y\"").utf8)
        try Self.rechain(log, lines)
        #expect(try AuditVerifier.verify(path: log) == .intact(records: 6))
        let failure = try #require(try await Self.report(harness, log).failure)
        #expect(failure.line == 1)
        #expect(failure.reason.contains("anchored another chain at this path"), "\(failure.reason)")
    }

    @Test("a log moved elsewhere still verifies: anchors name its chain, not its path")
    func movedLogVerifies() async throws {
        let (harness, log) = try await Self.auditedRun()
        let moved = harness.directory.appendingPathComponent("archive/audit-1.jsonl").path
        try FileManager.default.createDirectory(atPath: (moved as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: log, toPath: moved)
        #expect(try await Self.report(harness, moved).failure == nil)
    }

    @Test("the head skips a torn final line and sees other writers' appends")
    func headReadsTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audit-head-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("audit.jsonl").path
        let first = try AuditLog(path: path)
        let second = try AuditLog(path: path)
        #expect(try first.head() == nil)
        let appended = try first.append([["event": "a"], ["event": "b"]])
        #expect(try second.head() == appended)
        let later = try second.append([["event": "c"]])
        #expect(later?.seq == 3 && later?.chainSHA256 == appended?.chainSHA256)
        #expect(try first.head() == later)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"event":"torn","se"#.utf8))
        try handle.close()
        #expect(try first.head() == later, "a torn record is not the head")
    }

    @Test("an append after the log was moved aside or emptied by another writer names the new chain")
    func replacedLogIsReadAgain() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audit-chain-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("audit.jsonl").path
        let log = try AuditLog(path: path)
        let first = try #require(try log.append([["event": "a"]]))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        let rotated = try #require(try AuditLog(path: path).append([["event": "b"], ["event": "c"]]))
        let afterMove = try #require(try log.append([["event": "d"]]))
        #expect(afterMove.chainSHA256 == rotated.chainSHA256 && afterMove.chainSHA256 != first.chainSHA256)
        #expect(afterMove.seq == 3)

        try Data().write(to: URL(fileURLWithPath: path))
        let emptied = try #require(try AuditLog(path: path).append([["event": "e"], ["event": "f"]]))
        let afterTruncation = try #require(try log.append([["event": "g"]]))
        #expect(afterTruncation.chainSHA256 == emptied.chainSHA256 && afterTruncation.chainSHA256 != rotated.chainSHA256)
        #expect(try log.head() == afterTruncation)
    }
}
