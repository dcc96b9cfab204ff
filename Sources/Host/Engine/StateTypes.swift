import Foundation
import StargraphCore

extension FieldType {
    /// Whether `value` is a valid value of this type. `null` is never valid here: a field
    /// that has no value is absent from the state object.
    public func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.str, .string), (.bool, .bool), (.float, .number), (.list, .array), (.dict, .object):
            return true
        case (.int, .number):
            return value.intValue != nil
        case (.bytes, .string(let text)):
            return Data(base64Encoded: text) != nil
        default:
            return false
        }
    }

    /// Turns command-line text into a value of this type (`--inputs k=v`); `nil` when it
    /// does not fit. `list` and `dict` take JSON text.
    public func coerce(text: String) -> JSONValue? {
        switch self {
        case .str:
            return .string(text)
        case .int:
            guard let number = Int(text) else { return nil }
            return .number(Double(number))
        case .float:
            guard let number = Double(text), number.isFinite else { return nil }
            return .number(number)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: return nil
            }
        case .bytes:
            return Data(base64Encoded: text) != nil ? .string(text) : nil
        case .list, .dict:
            guard let value = try? JSONParser.parse(text), accepts(value) else { return nil }
            return value
        }
    }
}
