import Foundation
import StargraphAudit
import StargraphPostgres
import StargraphSQLite
import StargraphStore

/// The store a host keeps its runs in, as everything that reads or writes runs needs it: runs,
/// checkpoints and events, the queue, the webhook outbox and the audit anchors.
package typealias HostStore = RunStore & RunQueue & WebhookOutbox & AuditAnchorLookup

/// Where a `--db` value points: a SQLite file (a path, or a `sqlite:` URL) or a PostgreSQL
/// database (a `postgresql://` or `postgres://` URL). The value's scheme picks the store; a
/// scheme no store of this host answers is refused before anything is opened.
public enum StoreLocation: Sendable, Equatable {
    /// A SQLite database file.
    case sqlite(path: String)
    /// A PostgreSQL database, which several hosts may share.
    case postgres(PostgresStoreConfiguration)

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

    /// The most connections a host opens to a PostgreSQL store unless `--db-pool-size` says.
    public static let defaultPostgresPoolSize = PostgresStoreConfiguration.defaultPoolSize

    /// The URL schemes a `--db` value may carry.
    public static let knownSchemes = ["sqlite"] + PostgresStoreConfiguration.schemes

    /// Reads a `--db` value: a file path as is; `sqlite:PATH` or `sqlite://PATH` for the same
    /// file; a `postgresql://` URL (``PostgresStoreConfiguration``). Any other `scheme:` prefix
    /// (two or more letters, so `C:` style drive letters do not count) is refused.
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
        case let postgres where PostgresStoreConfiguration.schemes.contains(postgres):
            do {
                self = .postgres(try PostgresStoreConfiguration(url: value))
            } catch {
                throw StoreLocationError.invalidPostgresURL(error)
            }
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

    /// Where artifact bytes written by runs in this store are kept: `artifacts/` beside the
    /// SQLite file; for PostgreSQL, beside the default database (this host's own folder).
    public var artifactDirectory: String {
        switch self {
        case .sqlite(let path): ArtifactStore.defaultDirectory(forDatabase: path)
        case .postgres: ArtifactStore.defaultDirectory(forDatabase: Self.defaultDatabase)
        }
    }

    /// Opens the store, applying pending migrations.
    /// - Parameters:
    ///   - create: create a missing database (else ``StoreError/databaseNotFound(_:)``).
    ///   - checkpointsInBackground: for long-lived, busy processes (see ``SQLiteRunStore``).
    ///   - poolSize: the most connections to a PostgreSQL store (its default when `nil`).
    package func open(
        durability: Durability, create: Bool, checkpointsInBackground: Bool, poolSize: Int? = nil
    ) async throws -> any HostStore {
        switch self {
        case .sqlite(let path):
            return try SQLiteRunStore(
                path: path, durability: durability, createIfMissing: create, checkpointsInBackground: checkpointsInBackground)
        case .postgres(var configuration):
            if let poolSize { configuration.poolSize = max(1, poolSize) }
            return try await PostgresRunStore.open(configuration, createIfMissing: create)
        }
    }
}

/// A `--db` value that names no store this host can open.
public enum StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case unknownScheme(String)
    case invalidPostgresURL(PostgresURLError)

    public var description: String {
        let known = StoreLocation.knownSchemes.map { "\($0):" }.joined(separator: ", ")
        switch self {
        case .empty:
            return "the database location is empty: give a SQLite file path (or \(known)PATH)"
        case .unknownScheme(let scheme):
            return "unknown database scheme '\(scheme):': this host opens a SQLite file path, or a URL with scheme \(known)"
        case .invalidPostgresURL(let error):
            return error.description
        }
    }
}
