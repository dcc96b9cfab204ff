/// A JSON value as a plugin node sees it: what crosses the ABI, decoded. Numbers are doubles
/// (JSON's own model); integers up to 2^53 are exact.
public enum PluginValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([PluginValue])
    case object([String: PluginValue])

    /// The member `key` when this is an object, else `nil`.
    public subscript(key: String) -> PluginValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The text when this is a string, else `nil`.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number when this is a number, else `nil`.
    public var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The number when it is a whole number of at most 2^53 in magnitude (the integers a JSON
    /// number read as a double holds exactly; the host reads them the same way), else `nil`.
    public var intValue: Int? {
        guard let number = numberValue, number.rounded() == number, abs(number) <= 9_007_199_254_740_992 else { return nil }
        return Int(number)
    }

    /// The flag when this is a boolean, else `nil`.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The items when this is an array, else `nil`.
    public var arrayValue: [PluginValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The members when this is an object, else `nil`.
    public var objectValue: [String: PluginValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

extension PluginValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: PluginValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, PluginValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
