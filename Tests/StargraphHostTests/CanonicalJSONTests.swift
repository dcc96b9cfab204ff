import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore

@Suite struct CanonicalJSONTests {
    /// RFC 8785 §3.2.2 input, byte for byte.
    static let rfcSampleInput = #"""
        {
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """#

    /// RFC 8785 §3.2.4: the UTF-8 bytes of the canonical form of the sample above.
    static let rfcSampleOutputHex = """
        7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c 22 6e
        75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b 33 30
        2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24
        5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d
        """

    @Test func rfc8785SampleObjectIsCanonicalisedByteForByte() throws {
        let value = try JSONParser.parse(Self.rfcSampleInput)
        let expectedText = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#
            + #""string":"€$\u000f\nA'B\"\\\\\"/"}"#
        let expectedBytes = Self.rfcSampleOutputHex.split(whereSeparator: \.isWhitespace).map { UInt8($0, radix: 16)! }
        #expect(Array(expectedText.utf8) == expectedBytes)
        #expect(CanonicalJSON.bytes(value) == expectedBytes)
        #expect(CanonicalJSON.encode(value) == expectedText)
    }

    @Test func rfc8785SortingExampleOrdersKeysByUTF16CodeUnits() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expected = #"{"\r":"Carriage Return","1":"One","# + "\"\u{80}\":\"Control\","
            + "\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\","
            + "\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(CanonicalJSON.bytes(try JSONParser.parse(input)) == Array(expected.utf8))
    }

    /// RFC 8785 Appendix B: IEEE-754 bit pattern, a JSON text for it, and the canonical form.
    static let appendixB: [(bits: UInt64, json: String, canonical: String)] = [
        (0x0000_0000_0000_0000, "0", "0"),
        (0x8000_0000_0000_0000, "-0", "0"),
        (0x0000_0000_0000_0001, "5e-324", "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324", "-5e-324"),
        (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e308", "1.7976931348623157e+308"),
        (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e308", "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992", "9007199254740992"),
        (0xC340_0000_0000_0000, "-9007199254740992", "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352825856", "295147905179352830000"),
        (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e22", "9.999999999999997e+22"),
        (0x44B5_2D02_C7E1_4AF6, "1e23", "1e+23"),
        (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e23", "1.0000000000000001e+23"),
        (0x444B_1AE4_D6E2_EF4E, "999999999999999700000", "999999999999999700000"),
        (0x444B_1AE4_D6E2_EF4F, "999999999999999900000", "999999999999999900000"),
        (0x444B_1AE4_D6E2_EF50, "1E21", "1e+21"),
        (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7", "9.999999999999997e-7"),
        (0x3EB0_C6F7_A0B5_ED8D, "0.000001", "0.000001"),
        (0x41B3_DE43_5555_5553, "333333333.3333332", "333333333.3333332"),
        (0x41B3_DE43_5555_5554, "333333333.33333325", "333333333.33333325"),
        (0x41B3_DE43_5555_5555, "333333333.33333329", "333333333.3333333"),
        (0x41B3_DE43_5555_5556, "333333333.3333334", "333333333.3333334"),
        (0x41B3_DE43_5555_5557, "333333333.33333343", "333333333.33333343"),
        (0xBECB_F647_612F_3696, "-0.0000033333333333333333", "-0.0000033333333333333333"),
        (0x4314_3FF3_C1CB_0959, "1424953923781206.25", "1424953923781206.2"),
    ]

    @Test(arguments: appendixB.indices)
    func rfc8785AppendixBNumber(_ row: Int) throws {
        let (bits, json, canonical) = Self.appendixB[row]
        let parsed = try JSONParser.parse(json)
        #expect(parsed.numberValue?.bitPattern == bits, "parsing \(json)")
        #expect(CanonicalJSON.encode(parsed) == canonical)
        #expect(CanonicalJSON.formatNumber(Double(bitPattern: bits)) == canonical)
    }

    @Test func numbersFollowECMAScriptLayout() {
        let cases: [(Double, String)] = [
            (1e21, "1e+21"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (-1e-7, "-1e-7"), (1e-6, "0.000001"),
            (123.0, "123"), (-2.5, "-2.5"), (0.1 + 0.2, "0.30000000000000004"), (1e15, "1000000000000000"),
            (1e16, "10000000000000000"), (1e20, "100000000000000000000"), (1e22, "1e+22"),
            (1.2345678901234567e19, "12345678901234567000"), (1.2345678901234568e20, "123456789012345680000"),
            (0.5, "0.5"), (100, "100"), (1.25e-5, "0.0000125"),
        ]
        for (number, expected) in cases {
            #expect(CanonicalJSON.formatNumber(number) == expected, "formatting \(number)")
        }
    }

    @Test func nonFiniteNumbersEncodeAsNull() {
        #expect(CanonicalJSON.formatNumber(.nan) == "null")
        #expect(CanonicalJSON.encode([.number(.infinity), .number(-.infinity)]) == "[null,null]")
    }

    @Test func stringsEscapeOnlyWhatRFC8785Requires() {
        let text = "\u{0}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\"\\/\u{7F}é€😀"
        let expected = #""\u0000\b\t\n\f\r\u001f\"\\/"# + "\u{7F}é€😀\""
        #expect(CanonicalJSON.bytes(.string(text)) == Array(expected.utf8))
    }

    @Test func nestedValuesHaveNoWhitespaceAndSortedKeys() {
        let value: JSONValue = ["b": [1, true, nil, ["z": "", "a": [:]]], "a": [], "B": 0.5]
        #expect(CanonicalJSON.encode(value) == #"{"B":0.5,"a":[],"b":[1,true,null,{"a":{},"z":""}]}"#)
    }

    @Test func canonicalFormRoundTripsThroughTheParser() throws {
        let value: JSONValue = ["pi": 3.141592653589793, "tiny": .number(Double.leastNonzeroMagnitude), "list": [-0.0, 1e300, "x\u{1}"], "k": nil]
        let reparsed = try JSONParser.parse(CanonicalJSON.encode(value))
        #expect(CanonicalJSON.encode(reparsed) == CanonicalJSON.encode(value))
    }

    @Test func contentHashIsSHA256OfTheCanonicalForm() {
        #expect(ContentHash.sha256Hex(Array("abc".utf8))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash.of([:]) == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        #expect(ContentHash.of(["a": 1, "b": [2, 3]]) == ContentHash.of(["b": [2.0, 3.0], "a": 1.0]))
        #expect(ContentHash.of(["a": 1]) != ContentHash.of(["a": 2]))
    }

    @Test func prettyJSONIndentsWithSortedKeys() {
        let value: JSONValue = ["b": [1, "x"], "a": [:], "c": [], "d": ["e": 1e21]]
        let expected = """
            {
              "a": {},
              "b": [
                1,
                "x"
              ],
              "c": [],
              "d": {
                "e": 1e+21
              }
            }
            """
        #expect(PrettyJSON.encode(value) == expected)
        #expect(PrettyJSON.encode("a\nb") == #""a\nb""#)
    }
}
