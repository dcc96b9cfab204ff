import Foundation
import Hummingbird
import HummingbirdCore
import StargraphCore
import StargraphStore
import StargraphAudit

/// The query of `GET /v1/runs`: filters `status`, `graph_id`, `parent_run_id`, `created_after`,
/// `created_before` (RFC 3339); paging `limit` (1–500, default 50) and `cursor` (the previous
/// page's `next_cursor`), or the deprecated `offset`. ``QueryParameterMiddleware`` refuses others.
struct RunListQuery: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500

    var status: RunStatus?
    var graphId: String?
    var parentRunId: String?
    var createdAfter: Date?
    var createdBefore: Date?
    var limit = defaultLimit
    var cursor: RunPageCursor?
    var offset = 0

    /// Reads `parameters`; throws a 400 ``Problem`` naming a parameter that does not fit.
    init(_ parameters: FlatDictionary<Substring, Substring>) throws(Problem) {
        if let text = parameters["status"] {
            guard let status = RunStatus(rawValue: String(text)) else {
                let known = RunStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw Problem(.invalidQueryParameter, detail: "status '\(text)' is not a run status; use one of \(known)")
            }
            self.status = status
        }
        graphId = parameters["graph_id"].map(String.init)
        parentRunId = parameters["parent_run_id"].map(String.init)
        createdAfter = try Self.date(parameters, "created_after")
        createdBefore = try Self.date(parameters, "created_before")
        limit = try Self.integer(parameters, "limit", in: 1...Self.maximumLimit) ?? Self.defaultLimit
        offset = try Self.integer(parameters, "offset", in: 0...Int(Int32.max)) ?? 0
        if let token = parameters["cursor"] {
            guard offset == 0 else {
                throw Problem(.invalidQueryParameter, detail: "cursor and a nonzero offset cannot be combined; page with cursor alone")
            }
            cursor = try RunCursorToken.decode(String(token), filters: filterKey)
        }
    }

    /// The `next_cursor` of a page that continues at `next`.
    func token(_ next: RunPageCursor) -> String {
        RunCursorToken.encode(next, filters: filterKey)
    }

    /// The filters a cursor is valid with, so it cannot be replayed against another listing.
    private var filterKey: String {
        let filters: [String: JSONValue] = [
            "status": status.map { .string($0.rawValue) } ?? .null, "graph_id": graphId.map(JSONValue.string) ?? .null,
            "parent_run_id": parentRunId.map(JSONValue.string) ?? .null,
            "created_after": createdAfter.map { .string(Timestamps.format($0)) } ?? .null,
            "created_before": createdBefore.map { .string(Timestamps.format($0)) } ?? .null,
        ]
        return String(ContentHash.sha256Hex(CanonicalJSON.bytes(.object(filters))).prefix(16))
    }

    private static func integer(
        _ parameters: FlatDictionary<Substring, Substring>, _ name: Substring, in range: ClosedRange<Int>
    ) throws(Problem) -> Int? {
        guard let text = parameters[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem(.invalidQueryParameter, detail: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    private static func date(_ parameters: FlatDictionary<Substring, Substring>, _ name: Substring) throws(Problem) -> Date? {
        guard let text = parameters[name] else { return nil }
        guard let date = RFC3339.parse(String(text)) else {
            throw Problem(.invalidQueryParameter, detail: "\(name) must be an RFC 3339 time such as 2026-12-03T17:00:00Z, not '\(text)'")
        }
        return date
    }
}

/// RFC 3339 times as clients write them: with or without fractional seconds, `Z` or an offset.
enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        // A formatter per call: ISO8601DateFormatter is not Sendable, and list queries are rare.
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

/// The opaque `cursor` of `GET /v1/runs`: base64url of `{at, id, f}` — the last run's
/// `created_at` and id, and the filters it was issued for.
enum RunCursorToken {
    static func encode(_ cursor: RunPageCursor, filters: String) -> String {
        let members: JSONValue = ["at": .string(Timestamps.format(cursor.createdAt)), "id": .string(cursor.runId), "f": .string(filters)]
        return AuditRecordFormat.base64URLEncoded(Data(CanonicalJSON.bytes(members)))
    }

    static func decode(_ token: String, filters: String) throws(Problem) -> RunPageCursor {
        guard let data = AuditRecordFormat.base64URLDecoded(token), let value = try? JSONParser.parse(bytes: [UInt8](data)),
              let at = value["at"]?.stringValue.flatMap(Timestamps.parse), let id = value["id"]?.stringValue,
              let issuedFor = value["f"]?.stringValue
        else {
            throw Problem(.invalidQueryParameter, detail: "cursor is not one this server issued; pass a page's next_cursor unchanged")
        }
        guard issuedFor == filters else {
            throw Problem(.invalidQueryParameter, detail: "cursor was issued for other filters; repeat the first page's status, graph_id, parent_run_id, created_after and created_before with it")
        }
        return RunPageCursor(createdAt: at, runId: id)
    }
}
