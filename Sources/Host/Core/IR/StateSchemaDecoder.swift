import Foundation

/// The `state_schema:` section: `field: type` or `field: {type, default?, reducer?}`.
extension GraphDecoder {
    static let fieldKeys = ["type", "default", "reducer"]
    /// Common spellings from other languages, mapped to the IR type to suggest.
    static let typeSynonyms: [String: FieldType] = [
        "string": .str, "text": .str, "integer": .int, "number": .float, "double": .float, "boolean": .bool,
        "array": .list, "sequence": .list, "object": .dict, "map": .dict, "mapping": .dict, "bytearray": .bytes,
    ]

    /// Decodes the schema; fields with errors are left out (the errors are recorded).
    mutating func decodeStateSchema(_ section: YAMLNode) -> StateSchema {
        if case .null = section.toJSON() { return StateSchema(fields: []) }
        guard let pairs = section.mappingPairs else {
            diagnostics.error(at: section, "state_schema must be a mapping of field names to types (e.g. message: str), not a \(section.kindName)")
            return StateSchema(fields: [])
        }
        var fields: [FieldSpec] = []
        for (key, value) in pairs {
            guard let name = key.scalarText else { continue }
            scope.fieldNames.insert(name)
            let nameIsValid = Self.isValidFieldName(name)
            if !nameIsValid {
                diagnostics.error(at: key, "state field name '\(name)' is invalid; use letters, digits and '_', not starting with a digit")
            }
            if let field = decodeField(name: name, value), nameIsValid {
                fields.append(field)
            }
        }
        return StateSchema(fields: fields)
    }

    static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    private mutating func decodeField(name: String, _ node: YAMLNode) -> FieldSpec? {
        guard node.mappingPairs != nil else {
            return fieldType(node, field: name).map { FieldSpec(name: name, type: $0) }
        }
        let fields = fields(of: node, what: "state field '\(name)'", allowed: Self.fieldKeys, required: ["type"])
        guard let type = fields["type"].flatMap({ fieldType($0, field: name) }) else { return nil }
        var spec = FieldSpec(name: name, type: type)
        var valid = true
        if let defaultNode = fields["default"] {
            let value = defaultNode.toJSON()
            if Self.value(value, fits: type) {
                spec.defaultValue = value
            } else {
                diagnostics.error(at: defaultNode, "default \(CanonicalJSON.encode(value)) does not fit type \(type.rawValue) of state field '\(name)'; write \(Self.expectation(for: type)), or change the type")
                valid = false
            }
        }
        if let reducerNode = fields["reducer"] {
            if let reducer = reducer(reducerNode, fitting: type, field: name) {
                spec.reducer = reducer
            } else {
                valid = false
            }
        }
        return valid ? spec : nil
    }

    private mutating func fieldType(_ node: YAMLNode, field: String) -> FieldType? {
        guard let text = text(node, what: "the type of state field '\(field)'") else { return nil }
        if let type = FieldType(rawValue: text) { return type }
        let allowed = FieldType.allCases.map(\.rawValue).joined(separator: ", ")
        switch text {
        case "set", "frozenset":
            diagnostics.error(at: node, "type '\(text)' of state field '\(field)' is not supported: sets are unordered and break deterministic replay; use list")
        case "tuple":
            diagnostics.error(at: node, "type 'tuple' of state field '\(field)' is not supported: state is JSON, which has no tuples; use list")
        default:
            let hint = Self.typeSynonyms[text.lowercased()].map { " (did you mean '\($0.rawValue)'?)" }
                ?? Suggestion.didYouMean(text, among: FieldType.allCases.map(\.rawValue))
            diagnostics.error(at: node, "unknown type '\(text)' for state field '\(field)'\(hint); use one of \(allowed)")
        }
        return nil
    }

    private mutating func reducer(_ node: YAMLNode, fitting type: FieldType, field: String) -> Reducer? {
        guard let text = text(node, what: "the reducer of state field '\(field)'") else { return nil }
        let allowed = Reducer.allCases.map(\.rawValue)
        guard let reducer = Reducer(rawValue: text) else {
            diagnostics.error(at: node, "unknown reducer '\(text)'\(Suggestion.didYouMean(text, among: allowed)); use one of \(allowed.joined(separator: ", "))")
            return nil
        }
        let fits: Bool
        let needs: String
        switch reducer {
        case .last: (fits, needs) = (true, "")
        case .append: (fits, needs) = (type == .list, "a list field")
        case .merge: (fits, needs) = (type == .dict, "a dict field")
        case .sum: (fits, needs) = (type == .int || type == .float, "an int or float field")
        }
        guard fits else {
            diagnostics.error(at: node, "reducer '\(text)' does not fit type \(type.rawValue) of state field '\(field)': \(text) needs \(needs); use reducer 'last' or change the type")
            return nil
        }
        return reducer
    }

    /// Whether `value` is a valid value of a field of `type` (int: integral number; float:
    /// any number; bytes: a base64 string).
    static func value(_ value: JSONValue, fits type: FieldType) -> Bool {
        switch (type, value) {
        case (.str, .string), (.float, .number), (.bool, .bool), (.list, .array), (.dict, .object): true
        case (.int, _): value.intValue != nil
        case (.bytes, .string(let text)): Data(base64Encoded: text) != nil
        default: false
        }
    }

    /// What a value of `type` looks like, for messages.
    static func expectation(for type: FieldType) -> String {
        switch type {
        case .str: "a string"
        case .int: "a whole number"
        case .float: "a number"
        case .bool: "true or false"
        case .bytes: "a base64 string"
        case .list: "a sequence"
        case .dict: "a mapping"
        }
    }
}
