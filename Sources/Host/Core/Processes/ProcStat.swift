import Foundation

/// A process's `/proc/<pid>/stat` (proc(5)), split after the parenthesised command name, which
/// may itself hold spaces and parentheses.
package struct ProcStat {
    /// Fields 3 (the state letter) onwards.
    private let fields: [Substring]

    /// The stat of process `pid`, or of this process by default; `nil` without `/proc`.
    package init?(pid: String = "self") {
        guard let text = ProcFile.read("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")")
        else { return nil }
        fields = text[text.index(after: close)...].split(separator: " ")
    }

    /// Field `number` as proc(5) numbers them (from 3), if present.
    package func field(_ number: Int) -> Substring? {
        let index = number - 3
        return fields.indices.contains(index) ? fields[index] : nil
    }

    /// Field `number` as a number, if present and numeric.
    package func number(_ number: Int) -> Double? {
        field(number).flatMap { Double($0) }
    }
}
