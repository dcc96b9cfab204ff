import Foundation

/// How strict `stargraph serve` is.
///
/// - `oss-default`: anonymous clients may use every route; a presented valid API key still
///   names the caller (for rate limiting and logs).
/// - `cleared`: every `/v1` route and `/metrics` need an API key carrying the route's
///   capability, every plugin must be pinned by `sha256`, and an audit log is mandatory.
public enum ServeProfile: String, Sendable, CaseIterable {
    case ossDefault = "oss-default"
    case cleared

    /// A plugin entry as the manifest declares it, for ``validate(auditLogPath:auditSigningKeyPath:apiKeys:plugins:)``.
    public struct PluginEntry: Sendable, Hashable {
        public var name: String
        /// The manifest's `sha256` pin, `nil` when the entry has none.
        public var sha256: String?

        /// Creates an entry for plugin `name` pinned to `sha256` (or unpinned).
        public init(name: String, sha256: String?) {
            self.name = name
            self.sha256 = sha256
        }
    }

    /// Whether a request without an API key is let in (as ``Principal/anonymous``).
    public var allowsAnonymous: Bool { self == .ossDefault }

    /// Checks, before any plugin is loaded, what the profile requires at boot: in `cleared`, an
    /// audit log path in an existing folder (a mistyped folder is refused, not created), a key
    /// that signs it, an API key store holding at least one key, and a `sha256` pin on every
    /// plugin. `oss-default` requires nothing.
    /// - Throws: ``ServeProfileError`` naming every unmet requirement and what to change.
    public func validate(
        auditLogPath: String?, auditSigningKeyPath: String?, apiKeys: APIKeyStore?, plugins: [PluginEntry]
    ) throws(ServeProfileError) {
        guard self == .cleared else { return }
        var problems: [ServeProfileError.Problem] = []
        if let auditLogPath, !auditLogPath.isEmpty {
            let folder = (auditLogPath as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            if !folder.isEmpty, !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue) {
                problems.append(.auditLogFolderMissing(folder))
            }
        } else {
            problems.append(.auditLogMissing)
        }
        if (auditSigningKeyPath ?? "").isEmpty { problems.append(.auditSigningKeyMissing) }
        if let apiKeys {
            if apiKeys.keys.isEmpty { problems.append(.apiKeysEmpty) }
        } else {
            problems.append(.apiKeysMissing)
        }
        let unpinned = plugins.filter { ($0.sha256 ?? "").isEmpty }.map(\.name)
        if !unpinned.isEmpty { problems.append(.unpinnedPlugins(unpinned)) }
        if !problems.isEmpty { throw ServeProfileError(profile: self, problems: problems) }
    }
}

/// The server cannot boot in its profile; every unmet requirement is listed with its fix.
public struct ServeProfileError: Error, Sendable, CustomStringConvertible {
    /// One unmet requirement.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        case auditLogMissing
        case auditLogFolderMissing(String)
        case auditSigningKeyMissing
        case apiKeysMissing
        case apiKeysEmpty
        case unpinnedPlugins([String])

        public var description: String {
            switch self {
            case .auditLogMissing:
                "an audit log is mandatory: pass --audit-log PATH"
            case .auditLogFolderMissing(let folder):
                "the audit log's folder \(folder) does not exist; create it (with the permissions the log needs) or fix --audit-log"
            case .auditSigningKeyMissing:
                "the audit log must be signed, so a rewrite without the key is detected: create a key with "
                    + "`stargraph audit-key PATH` and pass --audit-signing-key PATH"
            case .apiKeysMissing:
                "API keys are mandatory: name a key file (a list of {id, key_sha256, capabilities}) "
                    + "with the manifest's api_keys or the command-line flag"
            case .apiKeysEmpty:
                "the API key file holds no keys, so every request would be refused: add at least one "
                    + "{id, key_sha256, capabilities} entry"
            case .unpinnedPlugins(let names):
                "every plugin must be pinned: add `sha256: <hex>` (sha256sum of the library) to the manifest "
                    + "entries of \(names.joined(separator: ", "))"
            }
        }
    }

    public var profile: ServeProfile
    public var problems: [Problem]

    public var description: String {
        "the \(profile.rawValue) profile cannot start: " + problems.map(\.description).joined(separator: "; ")
    }
}
