import Crypto
import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphAudit

@Suite struct AuditLogTests {
    let folder: URL
    let path: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        path = folder.appendingPathComponent("nested/dir/audit.jsonl").path
    }

    private func event(_ number: Int) -> JSONValue {
        ["event": "step", "n": .number(Double(number)), "note": "aaaa", "run_id": "run-1"]
    }

    /// Writes `count` events in batches of 1, 2, 3, … and returns the log.
    @discardableResult
    private func writeLog(events count: Int, signingKey: Curve25519.Signing.PrivateKey? = nil) throws -> AuditLog {
        let log = try AuditLog(path: path, signingKey: signingKey)
        var next = 1
        var batchSize = 1
        while next <= count {
            let last = min(count, next + batchSize - 1)
            try log.append((next...last).map(event))
            next = last + 1
            batchSize += 1
        }
        return log
    }

    private func lines() throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        return bytes.split(separator: 0x0A).map(Array.init)
    }

    private func rewrite(_ lines: [[UInt8]]) throws {
        try Data(lines.flatMap { $0 + [0x0A] }).write(to: URL(fileURLWithPath: path))
    }

    /// Flips one byte of the "aaaa" note on `line` (1-based) to "b".
    private func editOneByte(onLine line: Int) throws {
        var all = try lines()
        let note = Array("\"aaaa\"".utf8)
        let start = try #require((0...(all[line - 1].count - note.count)).first {
            Array(all[line - 1][$0..<$0 + note.count]) == note
        })
        all[line - 1][start + 1] = UInt8(ascii: "b")
        try rewrite(all)
    }

    private func brokenLine(_ result: AuditVerification) -> (line: Int, seq: Int?)? {
        if case .broken(let line, let seq, _) = result { return (line, seq) }
        return nil
    }

    @Test func intactLogVerifiesAndChainsEveryRecord() throws {
        try writeLog(events: 6)
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 6))
        let records = try lines().map { try JSONParser.parse(bytes: $0) }
        #expect(records.map { $0["seq"]?.intValue } == [1, 2, 3, 4, 5, 6])
        #expect(records[0]["prev_sha256"] == .string(String(repeating: "0", count: 64)))
        #expect(records[1]["prev_sha256"] == .string(ContentHash.sha256Hex(try lines()[0])))
        #expect(records[2]["event"] == "step")
        #expect(records[2]["sig"] == nil)
        for (line, record) in zip(try lines(), records) {
            #expect(CanonicalJSON.bytes(record) == line)
        }
    }

    @Test func newInstanceContinuesTheExistingChain() throws {
        try writeLog(events: 3)
        try AuditLog(path: path).append([event(4)])
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 4))
    }

    @Test func editedMiddleLineIsNamed() throws {
        try writeLog(events: 6)
        try editOneByte(onLine: 3)
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 3 && broken.seq == 3)
    }

    @Test func editedLastLineIsNamed() throws {
        try writeLog(events: 6)
        try editOneByte(onLine: 6)
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 6 && broken.seq == 6)
    }

    @Test func removedLineIsNamed() throws {
        try writeLog(events: 6)
        var all = try lines()
        all.remove(at: 3)
        try rewrite(all)
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 4 && broken.seq == 5)
    }

    @Test func removedFirstLineIsNamed() throws {
        try writeLog(events: 3)
        try rewrite(Array(try lines().dropFirst()))
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 1 && broken.seq == 2)
    }

    @Test func swappedLinesAreNamed() throws {
        try writeLog(events: 6)
        var all = try lines()
        all.swapAt(1, 2)
        try rewrite(all)
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 2 && broken.seq == 3)
    }

    @Test func lineThatIsNotJSONIsNamed() throws {
        try writeLog(events: 4)
        var all = try lines()
        all[1] = Array("not json".utf8)
        try rewrite(all)
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 2 && broken.seq == nil)
    }

    @Test func reformattedLineIsNamedEvenThoughItsContentIsUnchanged() throws {
        try writeLog(events: 3)
        var all = try lines()
        all[1].insert(UInt8(ascii: " "), at: 1)
        try rewrite(all)
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path)))
        #expect(broken.line == 2 && broken.seq == 2)
    }

    @Test func trailingEmptyLinesAreFineAndAppendsStayChained() throws {
        try writeLog(events: 2)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x0A, 0x0A]))
        try handle.close()
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 2))
        try AuditLog(path: path).append([event(3)])
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 3))
    }

    @Test func missingFinalNewlineIsRepairedOnAppend() throws {
        try writeLog(events: 2)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.dropLast().write(to: URL(fileURLWithPath: path))
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 2))
        try AuditLog(path: path).append([event(3)])
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 3))
    }

    @Test func tornFinalRecordIsCutOffAtOpenAndRecorded() throws {
        try writeLog(events: 2)
        let intact = try Data(contentsOf: URL(fileURLWithPath: path))
        let torn = Array("{\"event\":\"step\",\"n\":3,\"no".utf8)
        try (intact + torn).write(to: URL(fileURLWithPath: path))
        #expect(brokenLine(try AuditVerifier.verify(path: path)) != nil)
        _ = try AuditLog(path: path)
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 3))
        let repair = try JSONParser.parse(bytes: try lines()[2])
        #expect(repair["event"]?.stringValue == "audit_tail_repaired")
        #expect(repair["dropped_bytes"]?.intValue == torn.count)
        #expect(repair["dropped_sha256"]?.stringValue == ContentHash.sha256Hex(torn))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(intact.count) == intact)
    }

    @Test func tornRecordFoundByAnAppendIsRecordedBeforeTheBatch() throws {
        let log = try writeLog(events: 1)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"seq\":2,\"ev".utf8))
        try handle.close()
        try log.append([event(2)])
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 3))
        let events = try lines().map { try JSONParser.parse(bytes: $0)["event"]?.stringValue }
        #expect(events == ["step", "audit_tail_repaired", "step"])
        #expect(log.lastFailure == nil)
    }

    @Test func failedAppendIsReportedUntilAWriteSucceeds() throws {
        let log = try writeLog(events: 1)
        try FileManager.default.removeItem(atPath: folder.path)
        #expect(throws: AuditLogError.self) { try log.append([event(2)]) }
        #expect(log.lastFailure?.reason.contains("open failed") == true)
        log.probeAfterFailure()
        #expect(log.lastFailure != nil)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        log.probeAfterFailure()
        #expect(log.lastFailure == nil)
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 0))
    }

    @Test func emptyLogIsIntact() throws {
        _ = try AuditLog(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 0))
    }

    @Test func refusesToChainOntoADamagedLastLine() throws {
        try writeLog(events: 2)
        var all = try lines()
        all[1] = Array("{\"truncated".utf8)
        try rewrite(all)
        #expect(throws: AuditLogError.self) { try AuditLog(path: path).append([event(3)]) }
        #expect(try lines().count == 2)
    }

    @Test func rejectsBadRecordsWithoutWriting() throws {
        let log = try AuditLog(path: path)
        #expect(throws: AuditLogError.self) { try log.append([event(1), "not an object"]) }
        #expect(throws: AuditLogError.self) { try log.append([["event": "x", "seq": 9]]) }
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 0))
    }

    @Test func concurrentAppendsFromTwoInstancesKeepOneChain() async throws {
        let first = try AuditLog(path: path)
        let second = try AuditLog(path: path)
        let batchesPerInstance = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<batchesPerInstance {
                for (number, log) in [first, second].enumerated() {
                    group.addTask {
                        let size = batch % 3 + 1
                        try log.append((0..<size).map { _ in ["event": "concurrent", "writer": .number(Double(number))] })
                    }
                }
            }
            try await group.waitForAll()
        }
        let expected = 2 * (0..<batchesPerInstance).reduce(0) { $0 + $1 % 3 + 1 }
        #expect(try AuditVerifier.verify(path: path) == .intact(records: expected))
    }

    @Test func signedLogVerifiesOnlyWithItsPublicKey() throws {
        let key = Curve25519.Signing.PrivateKey()
        try writeLog(events: 4, signingKey: key)
        #expect(try AuditVerifier.verify(path: path, publicKey: key.publicKey) == .intact(records: 4))
        #expect(try AuditVerifier.verify(path: path) == .intact(records: 4))
        let otherKey = Curve25519.Signing.PrivateKey().publicKey
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path, publicKey: otherKey)))
        #expect(broken.line == 1 && broken.seq == 1)
        let signature = try #require(try JSONParser.parse(bytes: lines()[0])["sig"]?.stringValue)
        #expect(!signature.contains("=") && !signature.contains("+") && !signature.contains("/"))
    }

    @Test func unsignedLogFailsWhenAKeyIsRequired() throws {
        try writeLog(events: 2)
        let key = Curve25519.Signing.PrivateKey().publicKey
        let broken = try #require(brokenLine(try AuditVerifier.verify(path: path, publicKey: key)))
        #expect(broken.line == 1)
    }
}
