import Foundation
import PluginSDK
import Testing
@testable import StargraphCore

/// The host's JSON (``JSONValue``, ``JSONParser``) and the plugin SDK's (``PluginValue``,
/// ``PluginJSON``) are two codecs on purpose (docs/architecture.md): the SDK package depends on
/// nothing, so out-of-tree plugins resolve it alone. They must still agree on every document that
/// crosses the ABI: what each accepts, the value it reads, and which numbers are integers.
@Suite("JSON: the host's and the SDK's codecs agree")
struct JSONAgreementTests {
    /// Documents at the edges of RFC 8259 and of each codec's limits, as bytes.
    static let corpus: [[UInt8]] = {
        var texts = [
            "null", "true", "false", "0", "-0", "1.5", "-1", "1e308", "1e309", "-1e309", "1E-400", "2.5e-3",
            "9007199254740991", "9007199254740992", "9007199254740993", "9223372036854775807", "1e19",
            "01", "1.", ".5", "+1", "-", "1e", "NaN", "Infinity",
            #""a\u00e9\n\t\"\\\/""#, #""\ud83d\ude00""#, #""\ud83d""#, #""\ude00x""#, "\"tab\there\"", "\"\u{1}\"",
            #"{"a":1,"b":[true,null,{"c":"d"}]}"#, #"{"a":1,"a":2}"#, "[1,]", "{\"a\":}", "[", "{}", "[]",
            " [1, 2] ", "[1] x", "", "nul", "\u{FEFF}1", "{\"\":0}", "[1e2, -2E+3, 0.000001]",
        ]
        for depth in [511, 512, 513] {
            texts.append(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        }
        var bytes = texts.map { Array($0.utf8) }
        bytes.append([0x22, 0xFF, 0x22])  // invalid UTF-8 inside a string
        bytes.append([0x22, 0xC3, 0x22])  // truncated UTF-8 sequence
        bytes.append([0x22, 0xED, 0xA0, 0x80, 0x22])  // an encoded surrogate
        return bytes
    }()

    /// The SDK's value as the host's, for comparison.
    static func hostValue(_ value: PluginValue) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): .number(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(hostValue))
        case .object(let members): .object(members.mapValues(hostValue))
        }
    }

    @Test("each document is accepted by both or refused by both, and read alike", arguments: corpus.indices)
    func codecsAgree(index: Int) {
        let bytes = Self.corpus[index]
        let shown = String(decoding: bytes.prefix(40), as: UTF8.self)
        let host = Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(bytes: bytes) }
        let sdk = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(PluginJSON.ParseError) -> PluginValue in try PluginJSON.parse(buffer) }
        }
        switch (host, sdk) {
        case (.success(let hostValue), .success(let sdkValue)):
            #expect(hostValue == Self.hostValue(sdkValue), "\(shown)")
            if case .number = hostValue { #expect(hostValue.intValue == sdkValue.intValue, "integer reading of \(shown)") }
        case (.failure, .failure):
            break
        case (.success, .failure(let error)):
            Issue.record("the host accepts and the SDK refuses \(shown): \(error)")
        case (.failure(let error), .success):
            Issue.record("the SDK accepts and the host refuses \(shown): \(error)")
        }
    }

    @Test("a whole number is an integer to both exactly up to 2^53, where doubles stop being exact")
    func integerRange() {
        for (number, integer) in [(9_007_199_254_740_992.0, 9_007_199_254_740_992), (-9_007_199_254_740_992.0, -9_007_199_254_740_992)] {
            #expect(JSONValue.number(number).intValue == integer)
            #expect(PluginValue.number(number).intValue == integer)
        }
        for number in [9_007_199_254_740_994.0, 1e18, 1.5, -0.5] {
            #expect(JSONValue.number(number).intValue == nil, "\(number)")
            #expect(PluginValue.number(number).intValue == nil, "\(number)")
        }
    }
}
