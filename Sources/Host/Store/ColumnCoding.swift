import Foundation
import StargraphCore

/// Column encodings every backend shares, in every table: JSON as canonical JSON text, dates
/// as ISO-8601 UTC text with milliseconds (`2026-11-26T14:23:34.123Z`), which sorts in time order.
package enum ColumnCoding {
    /// Canonical JSON text of `value`.
    package static func json(_ value: JSONValue) -> String { CanonicalJSON.encode(value) }

    /// Parses a JSON column, reporting which run and column held bad text.
    package static func json(_ text: String, runId: String, column: String) throws(StoreError) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            throw .corruptColumn(runId: runId, column: column, detail: "invalid JSON: \(error)")
        }
    }

    /// `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (``Timestamps/format(_:)``).
    package static func timestamp(_ date: Date) -> String { Timestamps.format(date) }

    /// Parses the text written by ``timestamp(_:)``, reporting which run and column held bad text.
    package static func timestamp(_ text: String, runId: String, column: String) throws(StoreError) -> Date {
        guard let date = Timestamps.parse(text) else {
            throw .corruptColumn(runId: runId, column: column, detail: "expected YYYY-MM-DDTHH:MM:SS.mmmZ, found \(text)")
        }
        return date
    }

    /// Optional variant of ``timestamp(_:runId:column:)`` for nullable columns.
    package static func timestamp(_ text: String?, runId: String, column: String) throws(StoreError) -> Date? {
        guard let text else { return nil }
        return try timestamp(text, runId: runId, column: column) as Date
    }
}

extension RunRecord {
    /// The `sha256:<hex>` key of `graphSource` in `graph_sources`, where each graph text is
    /// stored once however many runs share it.
    package var graphSourceHash: String { "sha256:" + ContentHash.sha256Hex(Array(graphSource.utf8)) }
}
