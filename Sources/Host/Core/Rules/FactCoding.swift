/// JSON that does not describe facts or a routing decision (e.g. a corrupt checkpoint column or
/// a hand-written counterfactual mutation). `path` locates the bad member, like
/// `facts[2].slots` or `decision.then.target`; `message` says what was expected.
public struct RuleCodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// JSON form of working-memory facts, as stored in checkpoints:
/// `[{"template": "T", "slots": {"slot": value, ...}}, ...]`, in working-memory order.
public enum FactCoding {
    /// The facts as a JSON array, order preserved.
    public static func json(_ facts: [Fact]) -> JSONValue {
        .array(facts.map(json))
    }

    /// One fact as `{"template": T, "slots": {...}}` (`slots` is always present).
    public static func json(_ fact: Fact) -> JSONValue {
        .object(["template": .string(fact.template), "slots": .object(fact.slots)])
    }

    /// Decodes what ``json(_:)-([Fact])`` produced. `slots` may be omitted (no slots).
    ///
    /// Throws ``RuleCodingError`` naming the element when the value is not an array of objects
    /// with a non-empty string `template`, an object `slots` and no other members.
    public static func facts(from json: JSONValue) throws -> [Fact] {
        guard let elements = json.arrayValue else {
            throw RuleCodingError(path: "facts", message: "expected an array of facts, found \(json.typeName)")
        }
        return try elements.enumerated().map { index, element in
            try fact(from: JSONObjectReader(element, path: "facts[\(index)]"))
        }
    }

    private static func fact(from reader: JSONObjectReader) throws -> Fact {
        try reader.rejectUnknownMembers(allowed: ["template", "slots"])
        let template = try reader.string("template")
        guard !template.isEmpty else {
            throw RuleCodingError(path: reader.path + ".template", message: "the template name must not be empty")
        }
        let slots = try reader.optional("slots").map { value in
            guard let members = value.objectValue else {
                throw RuleCodingError(path: reader.path + ".slots", message: "expected an object of slot values, found \(value.typeName)")
            }
            return members
        }
        return Fact(template: template, slots: slots ?? [:])
    }
}

/// Reads typed members of a JSON object, throwing ``RuleCodingError``s that name the member.
struct JSONObjectReader {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws {
        guard let members = value.objectValue else {
            throw RuleCodingError(path: path, message: "expected an object, found \(value.typeName)")
        }
        self.members = members
        self.path = path
    }

    /// Throws when the object has a member outside `allowed`: nothing is silently dropped.
    func rejectUnknownMembers(allowed: Set<String>) throws {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RuleCodingError(path: path, message: "unknown member \"\(unknown)\"; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// The member, or `nil` when absent or `null`.
    func optional(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws -> JSONValue {
        guard let value = optional(key) else {
            throw RuleCodingError(path: path, message: "missing member \"\(key)\"")
        }
        return value
    }

    func string(_ key: String) throws -> String {
        let value = try required(key)
        guard let text = value.stringValue else { throw typeError(key, expected: "a string", found: value) }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = optional(key) else { return nil }
        guard let text = value.stringValue else { throw typeError(key, expected: "a string", found: value) }
        return text
    }

    func int(_ key: String) throws -> Int {
        let value = try required(key)
        guard let number = value.intValue else { throw typeError(key, expected: "an integer", found: value) }
        return number
    }

    func optionalNumber(_ key: String) throws -> Double? {
        guard let value = optional(key) else { return nil }
        guard let number = value.numberValue else { throw typeError(key, expected: "a number", found: value) }
        return number
    }

    func strings(_ key: String) throws -> [String] {
        let value = try required(key)
        guard let elements = value.arrayValue, elements.allSatisfy({ $0.stringValue != nil }) else {
            throw typeError(key, expected: "an array of strings", found: value)
        }
        return elements.compactMap(\.stringValue)
    }

    func typeError(_ key: String, expected: String, found value: JSONValue) -> RuleCodingError {
        RuleCodingError(path: path + "." + key, message: "expected \(expected), found \(CanonicalJSON.encode(value))")
    }
}
