/// Human-readable JSON for CLI `--json` output: keys sorted like ``CanonicalJSON``, two-space
/// indentation, `"key": value`, and the same number and string formatting as the canonical form.
public enum PrettyJSON {
    /// The indented JSON text of `value`, without a trailing newline.
    public static func encode(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        append(value, indent: 0, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static func append(_ value: JSONValue, indent: Int, to output: inout [UInt8]) {
        switch value {
        case .array(let elements) where !elements.isEmpty:
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                output.append(contentsOf: position == 0 ? "\n".utf8 : ",\n".utf8)
                appendIndent(indent + 1, to: &output)
                append(element, indent: indent + 1, to: &output)
            }
            output.append(UInt8(ascii: "\n"))
            appendIndent(indent, to: &output)
            output.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            output.append(UInt8(ascii: "{"))
            for (position, member) in CanonicalJSON.sortedMembers(members).enumerated() {
                output.append(contentsOf: position == 0 ? "\n".utf8 : ",\n".utf8)
                appendIndent(indent + 1, to: &output)
                CanonicalJSON.appendString(member.key, to: &output)
                output.append(contentsOf: ": ".utf8)
                append(member.value, indent: indent + 1, to: &output)
            }
            output.append(UInt8(ascii: "\n"))
            appendIndent(indent, to: &output)
            output.append(UInt8(ascii: "}"))
        default:
            CanonicalJSON.append(value, to: &output)
        }
    }

    private static func appendIndent(_ level: Int, to output: inout [UInt8]) {
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
    }
}
