import Foundation
import StargraphCore

/// Where a stored run stands between steps: the last step's label, the routing decision
/// taken after it, and an interrupt's deadline. Kept as `runs.next_action`, so any process
/// can pick the run up from its last checkpoint.
package struct RunCursor: Sendable {
    /// The label of the last step (`nil` before the first).
    package var after: String?
    package var decision: RoutingDecision
    /// When an interrupt's `timeout` runs out.
    package var deadline: Date?

    package static let start = RunCursor(after: nil, decision: .continue, deadline: nil)

    package init(after: String?, decision: RoutingDecision, deadline: Date? = nil) {
        self.after = after
        self.decision = decision
        self.deadline = deadline
    }

    package init(json: JSONValue) throws {
        guard json != .null else {
            self = .start
            return
        }
        guard let decision = json["decision"] else {
            throw EngineError.corruptRun("next_action has no decision: \(CanonicalJSON.encode(json))")
        }
        self.after = json["after"]?.stringValue
        self.decision = try RoutingDecision(json: decision)
        self.deadline = json["deadline"]?.stringValue.flatMap(Timestamps.parse)
    }

    package var json: JSONValue { json(decisionJSON: decision.json) }

    /// ``json`` with the decision's JSON already built (a step stores it in its checkpoint too).
    package func json(decisionJSON: JSONValue) -> JSONValue {
        var members: [String: JSONValue] = ["decision": decisionJSON]
        if let after { members["after"] = .string(after) }
        if let deadline { members["deadline"] = .string(Timestamps.format(deadline)) }
        return .object(members)
    }
}

/// Run and counterfactual identifiers: `run-<uuid v7>`, `cf-<uuid>`.
public enum RunIdentifiers {
    /// A new `run-<uuid v7>`: time-ordered, so ids sort by creation.
    public static func newRunId() -> String {
        "run-" + uuidV7()
    }

    /// A new `cf-<uuid>` for a counterfactual fork.
    public static func newCounterfactualId() -> String {
        "cf-" + UUID().uuidString.lowercased()
    }

    /// An RFC 9562 UUID version 7 in lowercase 8-4-4-4-12 form: 48 bits of Unix milliseconds,
    /// the version, 12 bits of sub-millisecond time (RFC 9562 §6.2, method 3), the variant and
    /// 62 random bits. Ids made one after another sort in time order within a millisecond too,
    /// which keeps the store's run-id indexes appending; one random draw (a system call) per id.
    package static func uuidV7(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let time = max(0, now.timeIntervalSince1970 * 1000)
        let millis = UInt64(time)
        let fraction = UInt64((time - Double(millis)) * 4096) & 0x0FFF
        let high = millis << 16 | 0x7000 | fraction
        let low = (generator.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        // Written straight into the string's storage: one allocation per id.
        return String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            func put(_ word: UInt64, nibbles: Range<Int>) {
                for nibble in nibbles.reversed() {
                    text[position] = CanonicalJSON.lowercaseHexDigit(UInt8(truncatingIfNeeded: word >> UInt64(nibble * 4)) & 0xF)
                    position += 1
                }
            }
            func dash() {
                text[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high, nibbles: 8..<16); dash(); put(high, nibbles: 4..<8); dash(); put(high, nibbles: 0..<4); dash()
            put(low, nibbles: 12..<16); dash(); put(low, nibbles: 0..<12)
            return position
        }
    }
}
