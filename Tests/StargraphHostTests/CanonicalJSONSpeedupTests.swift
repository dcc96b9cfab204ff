import Testing
@testable import StargraphHost
@testable import StargraphCore

/// Edge cases of the fast paths in ``CanonicalJSON``: key order by 8-byte prefixes, bulk copying
/// of unescaped string runs, integers written digit by digit, and the hex of ``ContentHash``.
@Suite struct CanonicalJSONSpeedupTests {
    /// The canonical object text built the slow, obvious way: keys sorted by `utf16` views.
    static func referenceObjectText(_ members: [String: JSONValue]) -> String {
        let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        let body = keys.map { CanonicalJSON.encode(.string($0)) + ":" + CanonicalJSON.encode(members[$0]!) }
        return "{" + body.joined(separator: ",") + "}"
    }

    @Test func emojiSortsBeforeUFFFFAndPrivateUseButAfterUD7FF() {
        let members: [String: JSONValue] = [
            "\u{FFFF}": 1, "\u{E000}": 2, "\u{1F600}": 3, "\u{10FFFF}": 4, "\u{10000}": 5, "\u{D7FF}": 6, "z": 7,
        ]
        #expect(CanonicalJSON.encode(.object(members))
            == "{\"z\":7,\"\u{D7FF}\":6,\"\u{10000}\":5,\"\u{1F600}\":3,\"\u{10FFFF}\":4,\"\u{E000}\":2,\"\u{FFFF}\":1}")
    }

    @Test func keysSharingTheirFirstEightBytesAndPrefixKeysAreOrdered() {
        let members: [String: JSONValue] = [
            "abcdefgh": 1, "abcdefghi": 2, "abcdefgh\u{0}": 3, "abcdefgh\u{FFFF}": 4, "abcdefgh\u{1F600}": 5,
            "a": 6, "a\u{0}": 7, "": 8, "abcdefgg\u{10FFFF}": 9, "abcdefg": 10, "\u{0}": 11,
        ]
        #expect(CanonicalJSON.encode(.object(members))
            == #"{"":8,"\u0000":11,"a":6,"a\u0000":7,"abcdefg":10,"# + "\"abcdefgg\u{10FFFF}\":9,"
            + #""abcdefgh":1,"abcdefgh\u0000":3,"abcdefghi":2,"# + "\"abcdefgh\u{1F600}\":5,\"abcdefgh\u{FFFF}\":4}")
    }

    @Test func mixedKeysMatchUTF16OrderOnManyRandomObjects() {
        let alphabet: [String] = ["a", "b", "Z", "0", "\u{0}", "\u{1F}", "\u{7F}", "\u{80}", "é", "\u{7FF}", "\u{800}",
                                  "€", "\u{D7FF}", "\u{E000}", "\u{FB33}", "\u{FFFF}", "\u{10000}", "😀", "\u{10FFFF}"]
        var generator = SplitMix64(seed: 8785)
        for _ in 0..<300 {
            var members: [String: JSONValue] = [:]
            for member in 0..<Int.random(in: 0...12, using: &generator) {
                let length = Int.random(in: 0...11, using: &generator)
                let key = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
                members[key] = .number(Double(member))
            }
            #expect(CanonicalJSON.encode(.object(members)) == Self.referenceObjectText(members))
            #expect(CanonicalJSON.sortedMembers(members).map(\.key)
                == members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) })
        }
    }

    @Test func stringsWithEscapesAtEitherEndAndInRunsAreEscapedWhole() {
        let long = String(repeating: "long text é😀 ", count: 4)
        let cases: [(String, String)] = [
            ("", #""""#), ("\"", #""\"""#), ("\n\n", #""\n\n""#), ("\u{1}abc\u{1F}", #""\u0001abc\u001f""#),
            ("a\\b\"c", #""a\\b\"c""#), (long + "\t" + long, "\"" + long + "\\t" + long + "\""),
        ]
        for (text, expected) in cases {
            #expect(CanonicalJSON.bytes(.string(text)) == Array(expected.utf8), "escaping \(text.debugDescription)")
        }
    }

    @Test func integersAndExponentsAreWrittenDigitByDigit() {
        let cases: [(Double, String)] = [
            (7, "7"), (-7, "-7"), (10, "10"), (-1_000_000, "-1000000"), (999_999_999_999_999, "999999999999999"),
            (-999_999_999_999_999, "-999999999999999"), (1e-100, "1e-100"), (-2.5e300, "-2.5e+300"), (1e-10, "1e-10"),
        ]
        for (number, expected) in cases {
            #expect(CanonicalJSON.formatNumber(number) == expected, "formatting \(number)")
        }
    }

    @Test func hashesAreLowercaseHexOfTheDigest() {
        #expect(ContentHash.sha256Hex([])
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let hash = ContentHash.of(["b": "x", "a": [1, nil]])
        #expect(hash == "sha256:" + ContentHash.sha256Hex(Array(#"{"a":[1,null],"b":"x"}"#.utf8)))
    }
}

/// A small seeded generator so the random key test is the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
