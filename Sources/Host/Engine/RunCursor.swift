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

    static func uuidV7(now: Date = Date()) -> String {
        let millis = UInt64(now.timeIntervalSince1970 * 1000)
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - UInt64(index))))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex.dropFirst(range.lowerBound).prefix(range.count))
        }
        return parts.joined(separator: "-")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
