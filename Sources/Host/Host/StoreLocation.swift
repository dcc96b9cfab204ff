import Foundation
import StargraphAudit
import StargraphSQLite
import StargraphStore

/// The store a host keeps its runs in, as everything that reads or writes runs needs it: runs,
/// checkpoints and events, the queue, the webhook outbox and the audit anchors.
package typealias HostStore = RunStore & RunQueue & WebhookOutbox & AuditAnchorLookup

/// Where a `--db` value points: a SQLite file (a path, or a `sqlite:` URL). The value's scheme
/// picks the store; a scheme no store of this host answers is refused before anything is opened.
public enum StoreLocation: Sendable, Equatable {
    /// A SQLite database file.
    case sqlite(path: String)

    /// The database every command uses when no `--db` is given.
    public static let defaultDatabase = SQLiteRunStore.defaultPath

    /// The environment variable that names the database when no `--db` is given.
    public static let environmentVariable = "STARGRAPH_DB"

    /// The database a command uses: its `--db` value when given, else `STARGRAPH_DB` when set
    /// and not empty, else ``defaultDatabase``.
    public static func database(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let flag { return flag }
        if let named = environment[environmentVariable], !named.isEmpty { return named }
        return defaultDatabase
    }

    /// The URL schemes a `--db` value may carry.
    public static let knownSchemes = ["sqlite"]

    /// Reads a `--db` value: a file path as is; `sqlite:PATH` or `sqlite://PATH` for the same
    /// file. Any other `scheme:` prefix (two or more letters, so `C:` style drive letters do not
    /// count) is refused.
    /// - Throws: ``StoreLocationError`` naming the scheme and the ones this host knows. The value
    ///   itself is never repeated, as a URL may carry a password.
    public init(parsing value: String) throws(StoreLocationError) {
        guard let scheme = Self.scheme(of: value) else {
            guard !value.isEmpty else { throw StoreLocationError.empty }
            self = .sqlite(path: value)
            return
        }
        switch scheme.lowercased() {
        case "sqlite":
            var path = value.dropFirst(scheme.count + 1)
            if path.hasPrefix("//") { path = path.dropFirst(2) }
            guard !path.isEmpty else { throw StoreLocationError.empty }
            self = .sqlite(path: String(path))
        default:
            throw StoreLocationError.unknownScheme(scheme)
        }
    }

    /// The `scheme` of `scheme:rest`, when `value` starts with one.
    private static func scheme(of value: String) -> String? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let candidate = value[..<colon]
        guard candidate.count >= 2, let first = candidate.first, first.isASCII, first.isLetter,
              candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(candidate)
    }

    /// Where artifact bytes written by runs in this store are kept: `artifacts/` beside the file.
    public var artifactDirectory: String {
        switch self {
        case .sqlite(let path): ArtifactStore.defaultDirectory(forDatabase: path)
        }
    }

    /// Opens the store, applying pending migrations.
    /// - Parameters:
    ///   - create: create a missing database (else ``StoreError/databaseNotFound(_:)``).
    ///   - checkpointsInBackground: for long-lived, busy processes (see ``SQLiteRunStore``).
    package func open(durability: Durability, create: Bool, checkpointsInBackground: Bool) throws -> any HostStore {
        switch self {
        case .sqlite(let path):
            try SQLiteRunStore(
                path: path, durability: durability, createIfMissing: create, checkpointsInBackground: checkpointsInBackground)
        }
    }
}

/// A `--db` value that names no store this host can open.
public enum StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case unknownScheme(String)

    public var description: String {
        let known = StoreLocation.knownSchemes.map { "\($0):" }.joined(separator: ", ")
        switch self {
        case .empty:
            return "the database location is empty: give a SQLite file path (or \(known)PATH)"
        case .unknownScheme(let scheme):
            return "unknown database scheme '\(scheme):': this host opens a SQLite file path, or a URL with scheme \(known)"
        }
    }
}
