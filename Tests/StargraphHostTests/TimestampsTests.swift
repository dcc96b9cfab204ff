import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore

@Suite("Timestamps")
struct TimestampsTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (-0.001, "1969-12-31T23:59:59.999Z"),
        (0.0006, "1970-01-01T00:00:00.001Z"),
        (1_709_208_000.0, "2024-02-29T12:00:00.000Z"),
        (1_795_703_014.123, "2026-11-26T14:23:34.123Z"),
        (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
    ])
    func formatsUTCWithMilliseconds(seconds: Double, text: String) {
        #expect(Timestamps.format(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test func parseReadsBackWhatFormatWrote() throws {
        for text in ["1969-12-31T23:59:59.999Z", "2024-02-29T12:00:00.000Z", "2026-11-26T14:23:34.123Z"] {
            #expect(Timestamps.format(try #require(Timestamps.parse(text))) == text)
        }
        #expect(Timestamps.parse("2026-11-26T14:23:34Z") == nil)
        #expect(Timestamps.parse("2026-13-26T14:23:34.123Z") == nil)
    }
}
