import Testing
@testable import StargraphHost
@testable import StargraphCore

@Suite struct JSONParserTests {
    private func parseError(_ text: String) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let text = " \n\t{\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": \"\", \"f\": []}\r\n "
        let expected: JSONValue = ["a": [1, -2500, true, false, nil], "b": ["c": "d"], "e": "", "f": []]
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(bytes: Array(text.utf8)) == expected)
        #expect(try JSONParser.parse("42") == 42)
        #expect(try JSONParser.parse("\"x\"") == "x")
    }

    @Test func decodesEveryStringEscape() throws {
        let parsed = try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00 é😀""#)
        #expect(parsed == .string("\"\\/\u{8}\u{C}\n\r\tAé€😀 é😀"))
    }

    @Test func parsesNumbersExactly() throws {
        #expect(try JSONParser.parse("-0").numberValue?.bitPattern == (-0.0).bitPattern)
        #expect(try JSONParser.parse("0").numberValue?.bitPattern == (0.0).bitPattern)
        #expect(try JSONParser.parse("1E2") == 100)
        #expect(try JSONParser.parse("1e-2") == 0.01)
        #expect(try JSONParser.parse("999999999999999") == 999_999_999_999_999)
        #expect(try JSONParser.parse("-9007199254740993") == .number(-9_007_199_254_740_992))
        #expect(try JSONParser.parse("12345678901234567890") == .number(1.2345678901234567e19))
        #expect(try JSONParser.parse("0.1") == 0.1)
    }

    @Test(arguments: [
        "[1,]", "{\"a\":1,}", "[1 2]", "// c\n1", "/* c */ 1", "NaN", "Infinity", "-Infinity", "01", "-01", "1.", ".5",
        "+1", "-", "1e", "1e+", "'a'", "\"a", "\"\u{1}\"", "\"\\x\"", "\"\\u12\"", "\"\\uZZZZ\"", "1 2", "", "   ",
        "tru", "nul", "[", "{", "{\"a\"}", "{\"a\" 1}", "{1:2}", "[1]]", "1e400", "-1e400",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(parseError(text) != nil, "accepted \(text.debugDescription)")
    }

    @Test func rejectsInvalidUTF8() throws {
        let invalid: [[UInt8]] = [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                                  [0x22, 0xE2, 0x82, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]]
        for bytes in invalid {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes: bytes) }
        }
        #expect(try JSONParser.parse(bytes: [0x22, 0xE2, 0x82, 0xAC, 0x22]) == "€")
    }

    @Test func rejectsDuplicateKeysAtTheSecondKey() throws {
        let error = try #require(parseError("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}"))
        #expect(error.message.contains("duplicate object key \"a\""))
        #expect(error.line == 3)
        #expect(error.column == 2)
    }

    @Test func reportsLineAndColumnOfTheProblem() throws {
        let error = try #require(parseError("{\n  \"a\": tru\n}"))
        #expect(error.line == 2)
        #expect(error.column == 8)
        #expect(error.offset == 9)
        #expect(error.description.contains("line 2, column 8"))
        let trailing = try #require(parseError("[1]\n  x"))
        #expect((trailing.line, trailing.column) == (2, 3))
        #expect(trailing.message.contains("after the JSON value"))
        let wide = try #require(parseError("[\"é€\", ?]"))
        #expect(wide.column == 8)
    }

    @Test func limitsNestingDepthWithoutCrashing() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONParser.parse(deepest) }
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(parseError(tooDeep)?.message.contains("512") == true)
        let hostile = String(repeating: "{\"a\":", count: 200_000)
        #expect(parseError(hostile)?.message.contains("512") == true)
    }

    @Test func parsesALargeDocumentQuickly() throws {
        let element = #"{"id": 12345, "name": "node-\u00e9", "score": 0.125, "tags": ["a", "b"], "ok": true}"#
        let text = "[" + Array(repeating: element, count: 20_000).joined(separator: ",") + "]"
        let start = ContinuousClock.now
        let parsed = try JSONParser.parse(text)
        #expect(parsed.arrayValue?.count == 20_000)
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
