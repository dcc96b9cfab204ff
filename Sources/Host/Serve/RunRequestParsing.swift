import Hummingbird
import HummingbirdCore

/// The body of `POST /v1/runs`, checked: `{graph_id, params?, idempotency_key?}`; the
/// idempotency key may also come in the `Idempotency-Key` header (both must then agree).
struct RunSubmission: Sendable {
    static let fields = ["graph_id", "params", "idempotency_key"]
    static let maximumKeyLength = 255

    var request: RunRequest

    /// Checks `body`; throws a 422 ``Problem`` naming the field that does not fit.
    init(body: JSONValue, idempotencyHeader: String?) throws(Problem) {
        guard let members = body.objectValue else {
            throw Self.invalid("the body must be a JSON object {graph_id, params, idempotency_key}, not \(body.typeName)")
        }
        if let unknown = members.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw Self.invalid("unknown field '\(unknown)'; the body takes \(Self.fields.joined(separator: ", "))")
        }
        guard let graphId = members["graph_id"]?.stringValue, !graphId.isEmpty else {
            throw Self.invalid("graph_id is required and must be a non-empty string (GET /v1/graphs lists them)")
        }
        let params = members["params"] ?? .object([:])
        guard params.objectValue != nil else {
            throw Self.invalid("params must be a JSON object of state fields, not \(params.typeName)")
        }
        var key: String?
        switch members["idempotency_key"] {
        case nil, .null?: key = nil
        case .string(let text)?: key = text
        case let other?: throw Self.invalid("idempotency_key must be a string, not \(other.typeName)")
        }
        if let header = idempotencyHeader {
            if let key, key != header {
                throw Self.invalid("the Idempotency-Key header ('\(header)') and idempotency_key ('\(key)') differ; send one, or the same in both")
            }
            key = header
        }
        if let key, key.isEmpty || key.utf8.count > Self.maximumKeyLength {
            throw Self.invalid("the idempotency key must be 1 to \(Self.maximumKeyLength) bytes long")
        }
        request = RunRequest(graphId: graphId, params: params, idempotencyKey: key)
    }

    private static func invalid(_ detail: String) -> Problem {
        Problem(.invalidRequestBody, detail: detail)
    }
}

/// The query of `GET /v1/runs`: filters `status`, `graph_id`, `parent_run_id`; paging `limit`
/// (1–500, default 50) and `offset` (default 0). ``QueryParameterMiddleware`` refuses others.
struct RunListQuery: Sendable {
    static let defaultLimit = 50
    static let maximumLimit = 500

    var status: RunStatus?
    var graphId: String?
    var parentRunId: String?
    var limit = defaultLimit
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
        limit = try Self.integer(parameters, "limit", in: 1...Self.maximumLimit) ?? Self.defaultLimit
        offset = try Self.integer(parameters, "offset", in: 0...Int(Int32.max)) ?? 0
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
}
