import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphEngine

@Suite("Run identifiers")
struct RunIdentifierTests {
    @Test func runIdsAreLowercaseUUIDv7WithTheCreationTime() throws {
        let now = Date(timeIntervalSince1970: 1_795_700_000.123)
        let uuid = RunIdentifiers.uuidV7(now: now)
        let groups = uuid.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        #expect(groups.map(\.count) == [8, 4, 4, 4, 12])
        #expect(uuid.allSatisfy { "0123456789abcdef-".contains($0) })
        #expect(groups[2].first == "7", "version nibble")
        #expect("89ab".contains(groups[3].first!), "RFC 9562 variant")
        #expect(UInt64(groups[0] + groups[1], radix: 16) == 1_795_700_000_123, "48-bit Unix milliseconds")
        // Foundation parses it as a UUID, and the random bits differ between calls.
        #expect(UUID(uuidString: uuid) != nil)
        #expect(RunIdentifiers.uuidV7(now: now) != uuid)
    }

    @Test func runIdsSortByCreationTime() {
        let earlier = RunIdentifiers.uuidV7(now: Date(timeIntervalSince1970: 1_795_700_000))
        let later = RunIdentifiers.uuidV7(now: Date(timeIntervalSince1970: 1_795_700_000.002))
        #expect(earlier < later)
        // Within one millisecond too (sub-millisecond time in the 12 bits after the version).
        let first = RunIdentifiers.uuidV7(now: Date(timeIntervalSince1970: 1_795_700_000.0001))
        let second = RunIdentifiers.uuidV7(now: Date(timeIntervalSince1970: 1_795_700_000.0006))
        #expect(first.prefix(13) == second.prefix(13), "same millisecond")
        #expect(first < second)
        #expect(RunIdentifiers.newRunId().hasPrefix("run-"))
    }
}
