import StargraphCore
/// Applies node patches to a run's state by the schema's types and reducers.
public struct StatePatching: Sendable {
    public let schema: StateSchema

    public init(schema: StateSchema) { self.schema = schema }

    /// Checks a patch: every key a declared field, every value of the field's type
    /// (`null` clears a field). A list patch to an `append` field may also be one element.
    public func validate(_ patch: [String: JSONValue], source: String) throws(RunFailure) {
        for (field, value) in patch.sorted(by: { $0.key < $1.key }) {
            guard let spec = schema.field(field) else {
                let known = schema.fields.map(\.name).joined(separator: ", ")
                throw RunFailure(
                    errorClass: "schema_violation",
                    message: "\(source) wrote '\(field)', which is not in state_schema (fields: \(known.isEmpty ? "none" : known))")
            }
            if value == .null || spec.type.accepts(value) { continue }
            if spec.reducer == .append || spec.reducer == .sum && value.numberValue != nil { continue }
            throw RunFailure(
                errorClass: "schema_violation",
                message: "\(source) wrote \(value.typeName) to '\(field)', which is \(spec.type.rawValue)")
        }
    }

    /// Applies one patch to `state`, field by field through each field's reducer.
    public func apply(_ patch: [String: JSONValue], to state: inout [String: JSONValue]) {
        for (field, value) in patch {
            let reduced = reduce(field: field, current: state[field], patch: value)
            state[field] = reduced == .null ? nil : reduced
        }
    }

    /// Merges the patches of parallel branches, in branch order. A field without a reducer
    /// written with different values by two branches is a conflict: the run fails rather than
    /// losing a write. Equal values merge.
    public func mergeBranches(_ patches: [(branch: String, patch: [String: JSONValue])]) throws(RunFailure) -> [String: JSONValue] {
        var merged: [String: JSONValue] = [:]
        var writer: [String: String] = [:]
        for (branch, patch) in patches {
            for (field, value) in patch.sorted(by: { $0.key < $1.key }) {
                guard let previous = merged[field] else {
                    merged[field] = value
                    writer[field] = branch
                    continue
                }
                switch schema.field(field)?.reducer {
                case nil:
                    guard previous == value else {
                        throw RunFailure(
                            errorClass: "parallel_conflict",
                            message: "parallel branches '\(writer[field] ?? "?")' and '\(branch)' wrote different values to '\(field)', which has no reducer; give it a reducer (last, append, merge, sum) or write different fields")
                    }
                case .last:
                    merged[field] = value
                    writer[field] = branch
                case let reducer?:
                    merged[field] = Self.combine(reducer, previous, value)
                }
            }
        }
        return merged
    }

    private func reduce(field: String, current: JSONValue?, patch: JSONValue) -> JSONValue {
        guard let reducer = schema.field(field)?.reducer, patch != .null else { return patch }
        return Self.combine(reducer, current ?? (reducer == .append ? .array([]) : .null), patch)
    }

    private static func combine(_ reducer: Reducer, _ current: JSONValue, _ patch: JSONValue) -> JSONValue {
        switch (reducer, current, patch) {
        case (.append, .array(let items), .array(let more)): return .array(items + more)
        case (.append, .array(let items), _): return .array(items + [patch])
        case (.merge, .object(let members), .object(let more)): return .object(members.merging(more) { _, new in new })
        case (.sum, .number(let a), .number(let b)): return .number(a + b)
        default: return patch
        }
    }
}

/// Why a run failed: the `error_class` and `error_cause` stored on the run.
public struct RunFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var errorClass: String
    public var message: String

    public init(errorClass: String, message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String { "\(errorClass): \(message)" }
}
