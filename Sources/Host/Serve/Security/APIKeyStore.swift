import Foundation
import StargraphCore

/// One API key of the key file: its public id, the SHA-256 of its secret, and its capabilities.
public struct APIKey: Sendable, Hashable {
    /// Names the key in logs, audit records and rate limiting (never the secret).
    public var id: String
    /// Lowercase hex SHA-256 of the secret (64 characters).
    public var keySHA256: String
    /// Route capabilities granted (see ``RouteCapabilities/allCapabilities``).
    public var capabilities: Set<String>

    /// Creates a key entry; ``APIKeyStore/init(keys:)`` validates it.
    public init(id: String, keySHA256: String, capabilities: Set<String>) {
        self.id = id
        self.keySHA256 = keySHA256
        self.capabilities = capabilities
    }
}

/// The API keys a `cleared` server accepts, stored hashed so the file never holds a secret.
///
/// The key file is YAML (or JSON, which is YAML too): a list of entries
/// ```yaml
/// - id: ci-bot                     # unique; "anonymous" is reserved
///   key_sha256: 9f86d08188...      # printf %s 'THE-SECRET' | sha256sum   (64 hex digits)
///   capabilities: [runs:start, runs:read]
/// ```
/// Capabilities are those of ``RouteCapabilities/allCapabilities``. Clients send the secret as
/// `Authorization: Bearer THE-SECRET` or `X-Api-Key: THE-SECRET`; the server hashes it and
/// looks the hash up.
public struct APIKeyStore: Sendable {
    private let keysByHash: [String: APIKey]

    /// Every key, ordered by id.
    public var keys: [APIKey] { keysByHash.values.sorted { $0.id < $1.id } }

    /// Builds a store from `keys`.
    /// - Throws: ``APIKeyFileError`` when an id is empty, reserved or repeated, a hash is not 64
    ///   hex digits or repeated, or a capability is unknown.
    public init(keys: [APIKey], sourceName: String = "API keys") throws(APIKeyFileError) {
        var byHash: [String: APIKey] = [:]
        var ids: Set<String> = []
        let known = Set(RouteCapabilities.allCapabilities)
        for (index, key) in keys.enumerated() {
            func fail(_ message: String) -> APIKeyFileError {
                APIKeyFileError(file: sourceName, line: nil, column: nil, message: "entry \(index + 1): \(message)")
            }
            guard !key.id.isEmpty else { throw fail("'id' must not be empty") }
            guard key.id != Principal.anonymousId else { throw fail("id 'anonymous' is reserved; pick another id") }
            guard ids.insert(key.id).inserted else { throw fail("id '\(key.id)' is used twice; ids must be unique") }
            let hash = key.keySHA256.lowercased()
            guard hash.utf8.count == 64, hash.utf8.allSatisfy({ Self.isHexDigit($0) }) else {
                throw fail("'key_sha256' of '\(key.id)' must be 64 hex digits (printf %s KEY | sha256sum)")
            }
            let unknown = key.capabilities.subtracting(known).sorted()
            guard unknown.isEmpty else {
                throw fail("'\(key.id)' has unknown capabilities \(unknown.joined(separator: ", ")); "
                    + "known: \(RouteCapabilities.allCapabilities.joined(separator: ", "))")
            }
            if let twin = byHash[hash] { throw fail("'\(key.id)' has the same key_sha256 as '\(twin.id)'") }
            byHash[hash] = APIKey(id: key.id, keySHA256: hash, capabilities: key.capabilities)
        }
        keysByHash = byHash
    }

    /// Reads the key file at `path` (format above).
    /// - Throws: ``APIKeyFileError`` naming the file (and line and column when it can) when the
    ///   file cannot be read, does not parse, or holds an invalid entry.
    public static func load(path: String) throws(APIKeyFileError) -> APIKeyStore {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIKeyFileError(file: path, line: nil, column: nil,
                                  message: "cannot read the API key file: \(UnreadableFile.reason(path))")
        }
        return try parse(text, sourceName: path)
    }

    /// Parses key-file `text` (named `sourceName` in errors).
    public static func parse(_ text: String, sourceName: String) throws(APIKeyFileError) -> APIKeyStore {
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(text, sourceName: sourceName)
        } catch {
            let first = error.errors.first
            throw APIKeyFileError(file: sourceName, line: first?.line, column: first?.column,
                                  message: first?.message ?? "the API key file does not parse")
        }
        guard let root else { return try APIKeyStore(keys: [], sourceName: sourceName) }
        guard let items = root.sequenceItems else {
            throw APIKeyFileError(at: root, in: sourceName, "the API key file must be a list of {id, key_sha256, capabilities}")
        }
        let keys = try items.map { item throws(APIKeyFileError) in try entry(item, sourceName: sourceName) }
        return try APIKeyStore(keys: keys, sourceName: sourceName)
    }

    /// The key whose secret is `secret`, or `nil` when none matches.
    public func key(forSecret secret: String) -> APIKey? {
        keysByHash[ContentHash.sha256Hex(Array(secret.utf8))]
    }

    private static func entry(_ node: YAMLNode, sourceName: String) throws(APIKeyFileError) -> APIKey {
        guard let pairs = node.mappingPairs else {
            throw APIKeyFileError(at: node, in: sourceName, "each entry must be a mapping {id, key_sha256, capabilities}")
        }
        var fields: [String: YAMLNode] = [:]
        for pair in pairs {
            let name = pair.key.scalarText ?? ""
            guard ["id", "key_sha256", "capabilities"].contains(name) else {
                throw APIKeyFileError(at: pair.key, in: sourceName, "unknown key '\(name)'; allowed: id, key_sha256, capabilities")
            }
            fields[name] = pair.value
        }
        func text(_ name: String) throws(APIKeyFileError) -> String {
            guard let value = fields[name] else { throw APIKeyFileError(at: node, in: sourceName, "'\(name)' is required") }
            guard let text = value.scalarText, !text.isEmpty else {
                throw APIKeyFileError(at: value, in: sourceName, "'\(name)' must be a non-empty string")
            }
            return text
        }
        let id = try text("id")
        let hash = try text("key_sha256")
        guard let list = fields["capabilities"] else {
            throw APIKeyFileError(at: node, in: sourceName, "'capabilities' is required (a list, e.g. [runs:read])")
        }
        guard let items = list.sequenceItems else {
            throw APIKeyFileError(at: list, in: sourceName, "'capabilities' must be a list of capability names")
        }
        var capabilities: Set<String> = []
        for item in items {
            guard let name = item.scalarText else {
                throw APIKeyFileError(at: item, in: sourceName, "each capability must be a string")
            }
            capabilities.insert(name)
        }
        return APIKey(id: id, keySHA256: hash, capabilities: capabilities)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

/// The API key file is unreadable or invalid: fix the named entry (or pass another file).
public struct APIKeyFileError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    /// Creates an error at an optional 1-based `line` and `column` of `file`.
    public init(file: String, line: Int?, column: Int?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    init(at node: YAMLNode, in file: String, _ message: String) {
        self.init(file: file, line: node.mark.line, column: node.mark.column, message: message)
    }

    /// `file:line:column: message` (position omitted when unknown).
    public var description: String {
        guard let line, let column else { return "\(file): \(message)" }
        return "\(file):\(line):\(column): \(message)"
    }
}
