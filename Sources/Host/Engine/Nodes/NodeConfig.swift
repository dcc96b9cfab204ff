import StargraphCore
/// Typed reads of a node's `config` object, throwing ``NodeConfigError`` that names the key.
package struct NodeConfig {
    package let spec: NodeSpec

    package init(_ spec: NodeSpec) { self.spec = spec }

    private var members: [String: JSONValue] { spec.config.objectValue ?? [:] }

    package func error(_ message: String) -> NodeConfigError {
        NodeConfigError(nodeId: spec.id, kind: spec.kind, message: message)
    }

    /// Refuses keys other than `allowed`, so a typo is never silently ignored.
    package func allowOnly(_ allowed: Set<String>) throws -> NodeConfig {
        let unknown = Set(members.keys).subtracting(allowed).sorted()
        guard unknown.isEmpty else {
            let list = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
            throw error("unknown config key(s) \(unknown.joined(separator: ", ")); allowed: \(list)")
        }
        return self
    }

    package func string(_ key: String) throws -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw error("config '\(key)' must be a string, not \(value.typeName)") }
        return text
    }

    package func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw error("config '\(key)' is required") }
        return text
    }

    package func number(_ key: String) throws -> Double? {
        guard let value = members[key], value != .null else { return nil }
        guard let number = value.numberValue, number.isFinite, number >= 0 else {
            throw error("config '\(key)' must be a non-negative number")
        }
        return number
    }

    /// A duration no longer than ``DurationLimit``, in `unit` (milliseconds or seconds).
    package func duration(_ key: String, unit: DurationUnit) throws -> Double? {
        guard let number = try number(key) else { return nil }
        let limit = unit == .milliseconds ? Double(DurationLimit.maximumMilliseconds) : DurationLimit.maximumSeconds
        guard number <= limit else {
            let shown = number.rounded() == number && number < 1e18 ? "\(Int64(number))" : "\(number)"
            throw error("config '\(key)' must be at most \(Int(limit)) \(unit.rawValue) (\(DurationLimit.description)), not \(shown)")
        }
        return number
    }

    package enum DurationUnit: String {
        case milliseconds, seconds
    }

    package func object(_ key: String) throws -> [String: JSONValue]? {
        guard let value = members[key], value != .null else { return nil }
        guard let object = value.objectValue else { throw error("config '\(key)' must be a mapping") }
        return object
    }

    package func stringList(_ key: String) throws -> [String]? {
        guard let value = members[key], value != .null else { return nil }
        guard let items = value.arrayValue, let names = Optional(items.compactMap(\.stringValue)),
              names.count == items.count else { throw error("config '\(key)' must be a list of strings") }
        return names
    }

    /// Checks that `field` is declared in the graph's `state_schema`.
    package func requireField(_ field: String, in schema: StateSchema, key: String) throws {
        guard schema.field(field) != nil else {
            let known = schema.fields.map(\.name).joined(separator: ", ")
            throw error("config '\(key)' names '\(field)', which is not in state_schema (fields: \(known.isEmpty ? "none" : known))")
        }
    }
}
