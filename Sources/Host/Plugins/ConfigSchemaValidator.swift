import StargraphCore
/// Checks a node's `config` against the JSON Schema a plugin kind declares (`config_schema`),
/// supporting the keywords the ABI header lists: type, properties, required,
/// additionalProperties, items, enum, const, minimum, maximum, minLength, maxLength,
/// minItems and maxItems. Other keywords (titles, descriptions, `$schema`) are ignored.
package enum ConfigSchemaValidator {
    /// Every mismatch, as `config.<path>: problem`; empty when `value` fits.
    package static func problems(_ value: JSONValue, schema: JSONValue, path: String = "config") -> [String] {
        guard let rules = schema.objectValue else { return [] }
        var found: [String] = []
        if let expected = rules["type"], !typeMatches(value, expected) {
            let names = expected.arrayValue?.compactMap(\.stringValue) ?? [expected.stringValue ?? "?"]
            return ["\(path) must be \(names.joined(separator: " or ")), not \(value.typeName)"]
        }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) {
            found.append("\(path) must be one of \(options.map(CanonicalJSON.encode).joined(separator: ", "))")
        }
        if let constant = rules["const"], constant != value {
            found.append("\(path) must be \(CanonicalJSON.encode(constant))")
        }
        switch value {
        case .number(let number):
            if let minimum = rules["minimum"]?.numberValue, number < minimum { found.append("\(path) must be >= \(CanonicalJSON.formatNumber(minimum))") }
            if let maximum = rules["maximum"]?.numberValue, number > maximum { found.append("\(path) must be <= \(CanonicalJSON.formatNumber(maximum))") }
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = rules["minLength"]?.intValue, length < minimum { found.append("\(path) must have at least \(minimum) characters") }
            if let maximum = rules["maxLength"]?.intValue, length > maximum { found.append("\(path) must have at most \(maximum) characters") }
        case .array(let items):
            if let minimum = rules["minItems"]?.intValue, items.count < minimum { found.append("\(path) must have at least \(minimum) items") }
            if let maximum = rules["maxItems"]?.intValue, items.count > maximum { found.append("\(path) must have at most \(maximum) items") }
            if let itemSchema = rules["items"] {
                for (index, item) in items.enumerated() { found += problems(item, schema: itemSchema, path: "\(path)[\(index)]") }
            }
        case .object(let members):
            found += objectProblems(members, rules: rules, path: path)
        default:
            break
        }
        return found
    }

    private static func objectProblems(_ members: [String: JSONValue], rules: [String: JSONValue], path: String) -> [String] {
        var found: [String] = []
        let properties = rules["properties"]?.objectValue ?? [:]
        for name in rules["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
            found.append("\(path).\(name) is required; add it")
        }
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if let propertySchema = properties[name] {
                found += problems(member, schema: propertySchema, path: "\(path).\(name)")
            } else if rules["additionalProperties"] == .bool(false) {
                let allowed = properties.keys.sorted()
                found.append("\(path).\(name) is not allowed\(allowed.isEmpty ? " (this kind takes no config)" : "; allowed keys: \(allowed.joined(separator: ", "))")")
            } else if let additional = rules["additionalProperties"], additional.objectValue != nil {
                found += problems(member, schema: additional, path: "\(path).\(name)")
            }
        }
        return found
    }

    private static func typeMatches(_ value: JSONValue, _ expected: JSONValue) -> Bool {
        let names = expected.arrayValue?.compactMap(\.stringValue) ?? expected.stringValue.map { [$0] } ?? []
        return names.isEmpty || names.contains { name in
            switch (name, value) {
            case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
            case ("integer", .number(let number)): number.rounded() == number
            default: false
            }
        }
    }
}
