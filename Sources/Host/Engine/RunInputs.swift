import StargraphCore
/// Builds a run's initial state from inputs checked against the graph's `state_schema`.
public enum RunInputs {
    /// Parses `key=value` pairs (`--inputs`), coercing each value to its field's type.
    public static func parse(pairs: [String], schema: StateSchema) throws(InputError) -> [String: JSONValue] {
        var inputs: [String: JSONValue] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw InputError("input '\(pair)' is not of the form key=value")
            }
            let key = String(pair[..<equals])
            let text = String(pair[pair.index(after: equals)...])
            let field = try declaredField(key, schema: schema)
            guard let value = field.type.coerce(text: text) else {
                throw InputError("input '\(key)': '\(text)' is not a valid \(field.type.rawValue)\(hint(field.type))")
            }
            inputs[key] = value
        }
        return inputs
    }

    /// Checks JSON params (`POST /v1/runs`): an object whose keys are fields and whose values fit their types.
    public static func check(params: JSONValue, schema: StateSchema) throws(InputError) -> [String: JSONValue] {
        guard let members = params.objectValue else {
            throw InputError("params must be a JSON object, not \(params.typeName)")
        }
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            let field = try declaredField(key, schema: schema)
            guard value == .null || field.type.accepts(value) else {
                throw InputError("param '\(key)' must be a \(field.type.rawValue), not \(value.typeName)")
            }
        }
        return members.filter { $0.value != .null }
    }

    /// The state a run starts with: every field's default, then the inputs.
    public static func initialState(schema: StateSchema, inputs: [String: JSONValue]) -> [String: JSONValue] {
        var state: [String: JSONValue] = [:]
        for field in schema.fields {
            if let value = field.defaultValue, value != .null { state[field.name] = value }
        }
        return state.merging(inputs) { _, input in input }
    }

    private static func declaredField(_ key: String, schema: StateSchema) throws(InputError) -> FieldSpec {
        guard let field = schema.field(key) else {
            let known = schema.fields.map(\.name).joined(separator: ", ")
            throw InputError("unknown input '\(key)'; the graph's state_schema has: \(known.isEmpty ? "no fields" : known)")
        }
        return field
    }

    private static func hint(_ type: FieldType) -> String {
        switch type {
        case .bool: " (use true or false)"
        case .list, .dict: " (give JSON text)"
        case .bytes: " (give base64)"
        default: ""
        }
    }
}

/// Inputs that do not fit the graph: a usage error (exit 2, HTTP 422).
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
