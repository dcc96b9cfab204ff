/// One problem found while loading a graph (or any YAML file read through ``YAMLParser``),
/// located at the offending node: `file:line:column: message`, 1-based.
public struct GraphLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path or source name the text came from.
    public var file: String
    /// 1-based line of the offending node.
    public var line: Int
    /// 1-based column of the offending node.
    public var column: Int
    /// What is wrong and what to change.
    public var message: String

    /// Creates an error at `file:line:column`.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// Creates an error at `mark` in `file`.
    public init(file: String, at mark: SourceMark, message: String) {
        self.init(file: file, line: mark.line, column: mark.column, message: message)
    }

    /// `file:line:column: message`, the format compilers use, so editors can jump to it.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in one file, in source order. Loading reports all the errors it can
/// find at once, so a user fixes a file in one pass instead of one error per attempt.
public struct GraphLoadErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, sorted by line and column. Never empty when thrown.
    public var errors: [GraphLoadError]

    /// Wraps `errors`, sorting them by position (stable for errors at the same position).
    public init(_ errors: [GraphLoadError]) {
        self.errors = errors.enumerated().sorted { lhs, rhs in
            (lhs.element.line, lhs.element.column, lhs.offset) < (rhs.element.line, rhs.element.column, rhs.offset)
        }.map(\.element)
    }

    /// One `file:line:column: message` per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Collects errors for one source file while a loader walks it. Keeps the first
/// ``maxErrors``; the rest are summarised in one final error, so a badly broken file does not
/// bury its first (most useful) errors.
package struct LoadDiagnostics {
    package static let maxErrors = 100

    package let file: String
    private var recorded: [GraphLoadError] = []
    private var firstSuppressed: SourceMark?
    private var suppressedCount = 0

    package init(file: String) { self.file = file }

    package var isEmpty: Bool { recorded.isEmpty }

    /// How many errors were reported, shown or not.
    package var count: Int { recorded.count + suppressedCount }

    /// The errors recorded, plus the summary of suppressed ones when there are any.
    package var errors: [GraphLoadError] {
        guard let firstSuppressed else { return recorded }
        let summary = "\(suppressedCount) more error\(suppressedCount == 1 ? "" : "s") from here on not shown; fix the errors above and load again"
        return recorded + [GraphLoadError(file: file, at: firstSuppressed, message: summary)]
    }

    package mutating func error(at mark: SourceMark, _ message: String) {
        guard recorded.count < Self.maxErrors else {
            firstSuppressed = firstSuppressed ?? mark
            suppressedCount += 1
            return
        }
        recorded.append(GraphLoadError(file: file, at: mark, message: message))
    }

    package mutating func error(at node: YAMLNode, _ message: String) {
        error(at: node.mark, message)
    }

    /// Throws everything collected so far, if anything.
    package func throwIfAny() throws(GraphLoadErrors) {
        if !recorded.isEmpty { throw GraphLoadErrors(errors) }
    }
}
