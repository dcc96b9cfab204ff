import Foundation

/// Where a stored run stands between steps: the last step's label, the routing decision
/// taken after it, and an interrupt's deadline. Kept as `runs.next_action`, so any process
/// can pick the run up from its last checkpoint.
struct RunCursor: Sendable {
    /// The label of the last step (`nil` before the first).
    var after: String?
    var decision: RoutingDecision
    /// When an interrupt's `timeout` runs out.
    var deadline: Date?

    static let start = RunCursor(after: nil, decision: .continue, deadline: nil)

    init(after: String?, decision: RoutingDecision, deadline: Date? = nil) {
        self.after = after
        self.decision = decision
        self.deadline = deadline
    }

    init(json: JSONValue) throws {
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

    var json: JSONValue {
        var members: [String: JSONValue] = ["decision": decision.json]
        if let after { members["after"] = .string(after) }
        if let deadline { members["deadline"] = .string(Timestamps.format(deadline)) }
        return .object(members)
    }
}

/// Run and counterfactual identifiers (DESIGN §5): `run-<uuid v7>`, `cf-<uuid>`.
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
    /// then version, variant and 74 random bits.
    static func uuidV7(now: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let high = millis << 16 | 0x7000 | (generator.next() & 0x0FFF)
        let low = (generator.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        var text = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var position = 0
        for (word, dashes) in [(high, [8, 13]), (low, [18, 23])] {
            for shift in stride(from: 60, through: 0, by: -4) {
                if dashes.contains(position) { position += 1 }
                text[position] = CanonicalJSON.lowercaseHexDigit(UInt8(truncatingIfNeeded: word >> UInt64(shift)) & 0xF)
                position += 1
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
