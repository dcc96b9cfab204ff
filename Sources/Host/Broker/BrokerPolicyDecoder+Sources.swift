import Foundation
import StargraphCore

/// `sources:` entries: the keys every source has, and those of its type.
extension BrokerPolicyDecoder {
    package static let commonSourceKeys = ["id", "type", "description", "classification", "data_types", "allowed_purposes", "timeout_s", "max_rows"]
    package static let typeSourceKeys = ["static": ["rows"], "sqlite": ["connection", "table", "query"], "rest": ["connection", "path"]]
    package static let defaultTimeoutSeconds = 5.0
    package static let defaultMaxRows = 1000
    /// Parameters a sqlite `query` may use; the broker binds them, never splices them into SQL.
    package static let queryParameters = ["agent_id", "purpose", "intent"]

    package mutating func decodeSource(_ node: YAMLNode, levels: [String], allowedHosts: [String]) -> BrokerSource? {
        let typeNode = node.mappingPairs?.first { $0.key.scalarText == "type" }?.value
        let type = typeNode.flatMap { string($0, what: "source type") }
        if let typeNode, let type, Self.typeSourceKeys[type] == nil {
            error(at: typeNode, "source type '\(type)' is not supported; use static, sqlite or rest")
        }
        let allowed = Self.commonSourceKeys + (type.flatMap { Self.typeSourceKeys[$0] } ?? Self.typeSourceKeys.values.flatMap { $0 })
        guard let fields = mapping(node, allowed: allowed, what: "a \(type.map { "\($0) " } ?? "")source") else { return nil }
        let what = "a source"
        let id = required(fields, "id", in: node, what: what).flatMap { identifier($0, what: "source id") }
        _ = required(fields, "type", in: node, what: what)
        let description = fields["description"].flatMap { string($0, what: "description") } ?? ""
        let classification = required(fields, "classification", in: node, what: what).flatMap { level($0, levels: levels, what: "classification") }
        let dataTypes = required(fields, "data_types", in: node, what: what).flatMap { stringList($0, what: "data_types", nonEmpty: true) }
        let purposes = required(fields, "allowed_purposes", in: node, what: what).flatMap { stringList($0, what: "allowed_purposes") }
        let timeout = fields["timeout_s"].map { number($0, what: "timeout_s", range: 0.001...300) } ?? Self.defaultTimeoutSeconds
        let maxRows = fields["max_rows"].map { number($0, what: "max_rows", range: 1...100_000).flatMap(integral) } ?? Self.defaultMaxRows
        let kind: BrokerSource.Kind? = switch type {
        case "static": decodeStatic(fields, node: node)
        case "sqlite": decodeSQLite(fields, node: node)
        case "rest": decodeRest(fields, node: node, allowedHosts: allowedHosts)
        default: nil
        }
        guard let id, let classification, let dataTypes, let purposes, let timeout, let maxRows, let kind else { return nil }
        return BrokerSource(
            id: id, kind: kind, description: description, classification: classification, dataTypes: dataTypes,
            allowedPurposes: purposes, timeoutSeconds: timeout, maxRows: maxRows)
    }

    private func integral(_ number: Double) -> Int? {
        number.rounded() == number ? Int(number) : nil
    }

    private mutating func decodeStatic(_ fields: [String: YAMLNode], node: YAMLNode) -> BrokerSource.Kind? {
        guard let rowsNode = required(fields, "rows", in: node, what: "a static source"),
              let items = sequence(rowsNode, what: "rows") else { return nil }
        var rows: [JSONValue] = []
        for item in items {
            guard item.mappingPairs != nil else {
                error(at: item, "each row must be a mapping of column to value, not a \(item.kindName)")
                continue
            }
            rows.append(item.toJSON())
        }
        return .staticRows(rows)
    }

    private mutating func decodeSQLite(_ fields: [String: YAMLNode], node: YAMLNode) -> BrokerSource.Kind? {
        let connection = required(fields, "connection", in: node, what: "a sqlite source").flatMap { string($0, what: "connection") }
        let read: BrokerSource.SQLiteRead?
        switch (fields["table"], fields["query"]) {
        case (let table?, nil):
            read = string(table, what: "table").flatMap { checkTableName($0, node: table) }.map { .table($0) }
        case (nil, let query?):
            read = string(query, what: "query").flatMap { checkQuery($0, node: query) }.map { .query($0) }
        case (let table?, _?):
            error(at: table, "a sqlite source takes either 'table' or 'query', not both")
            read = nil
        case (nil, nil):
            error(at: node, "a sqlite source needs 'table' (read every row) or 'query' (a SELECT)")
            read = nil
        }
        guard let connection, let read else { return nil }
        return .sqlite(databasePath: resolve(connection), read: read)
    }

    /// An ASCII SQL name (letter or `_`, then letters, digits, `_`), so it can be quoted safely.
    private mutating func checkTableName(_ name: String, node: YAMLNode) -> String? {
        let isPlain = name.count <= 128 && name.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        guard isPlain else {
            error(at: node, "table '\(name)' must be a plain SQL name (ASCII letters, digits and _, not starting with a digit)")
            return nil
        }
        return name
    }

    /// A single SELECT (or WITH … SELECT) whose named parameters are all ``queryParameters``.
    private mutating func checkQuery(_ query: String, node: YAMLNode) -> String? {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        let body = trimmed.hasSuffix(";") ? String(trimmed.dropLast()) : trimmed
        let head = body.prefix { !$0.isWhitespace && $0 != "(" }.uppercased()
        guard head == "SELECT" || head == "WITH" else {
            error(at: node, "query must be one SELECT statement (the source is read-only)")
            return nil
        }
        guard !body.contains(";") else {
            error(at: node, "query must be one statement; remove the ';' inside it")
            return nil
        }
        let unknown = Self.parameterNames(in: body).filter { !Self.queryParameters.contains($0) }
        guard unknown.isEmpty else {
            error(at: node, "query uses parameter(s) \(unknown.map { ":\($0)" }.joined(separator: ", ")); the broker binds only :agent_id, :purpose and :intent")
            return nil
        }
        return body
    }

    /// Names written `:name`, `@name` or `$name` outside quotes (`?` placeholders are reported as `?`).
    package static func parameterNames(in sql: String) -> [String] {
        var names: [String] = []
        var quote: Character?
        var index = sql.startIndex
        while index < sql.endIndex {
            let character = sql[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "?" {
                names.append("?")
            } else if ":@$".contains(character) {
                let start = sql.index(after: index)
                let end = sql[start...].firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? sql.endIndex
                if start < end { names.append(String(sql[start..<end])) }
                index = end
                continue
            }
            index = sql.index(after: index)
        }
        return names
    }

    private mutating func decodeRest(_ fields: [String: YAMLNode], node: YAMLNode, allowedHosts: [String]) -> BrokerSource.Kind? {
        guard let connectionNode = required(fields, "connection", in: node, what: "a rest source"),
              let connection = string(connectionNode, what: "connection"),
              let pathNode = required(fields, "path", in: node, what: "a rest source"),
              let path = string(pathNode, what: "path") else { return nil }
        guard let base = URLComponents(string: connection), let scheme = base.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = base.host?.lowercased(), !host.isEmpty, base.path.isEmpty || base.path == "/", base.query == nil else {
            error(at: connectionNode, "connection must be a base URL like http://127.0.0.1:8080 (scheme, host, optional port; no path or query)")
            return nil
        }
        guard Self.isLoopback(host) || allowedHosts.contains(host) else {
            error(at: connectionNode, "host '\(host)' is neither loopback nor in allowed_hosts; add it to allowed_hosts to let the broker reach it")
            return nil
        }
        guard path.hasPrefix("/"), !path.split(separator: "/").contains(".."), !path.contains("?"), !path.contains("#"),
              var components = URLComponents(string: connection) else {
            error(at: pathNode, "path must be an absolute URL path like /api/rows, without '..', query or fragment")
            return nil
        }
        components.path = path
        guard let url = components.url, url.host?.lowercased() == host else {
            error(at: pathNode, "path '\(path)' does not form a URL on \(host)")
            return nil
        }
        return .rest(url: url)
    }

    /// `localhost`, `127.x.x.x` and `::1`.
    package static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
