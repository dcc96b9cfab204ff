import Foundation
import StargraphStore
import StargraphHost

/// Everything `stargraph serve` is started with. The defaults serve the default manifest on
/// the default database at http://127.0.0.1:8000.
public struct ServeOptions: Sendable {
    /// The manifest served when none is named and this file exists in the working directory.
    public static let defaultManifestPath = "manifests/default.yaml"

    public var profile: ServeProfile = .ossDefault
    public var host = "127.0.0.1"
    /// `0` binds an ephemeral port; the listening callback reports the real one.
    public var port = 8000
    /// The `--db` value (``StoreLocation``).
    public var database = StoreLocation.defaultDatabase
    public var durability: Durability = .normal
    /// `--db-pool-size`: the most connections to a PostgreSQL store (its default when `nil`).
    public var databasePoolSize: Int?
    public var auditLogPath: String?
    /// Ed25519 private key file that signs every audit record (required by `cleared`).
    public var auditSigningKeyPath: String?
    /// The plugin manifest; `nil` uses ``defaultManifestPath`` when it exists.
    public var manifestPath: String?
    /// Graph YAML files registered beside the manifest's graphs (`--graph`).
    public var graphPaths: [String] = []
    /// `--nautilus-config`: wins over the manifest's `nautilus_config`.
    public var brokerConfigPath: String?
    /// Runs executing at once, over all graphs.
    public var workers = 32
    /// Threads of the HTTP listener's event loops (`--io-threads`): ``defaultIOThreads``.
    public var ioThreads = ServeOptions.defaultIOThreads
    /// API key file (`--api-keys`); wins over the manifest's `api_keys`.
    public var apiKeysPath: String?
    /// Mutating requests per second allowed to one client (burst: twice that); `0` turns the
    /// rate limit off.
    public var rateLimit: Double = 1000
    /// `--drain-timeout`: how long SIGTERM waits for executing steps to return (they are
    /// cancelled at once) before the server exits anyway, leaving them to resume on the next start.
    public var drainTimeout: Duration = .seconds(30)
    /// `--header-timeout` and `--idle-timeout`: how long a connection may take to send its first
    /// request head, and how long it may stay idle between requests.
    public var connectionTimeouts = ConnectionTimeouts()

    public init() {}

    /// Half the cores, at least one: the other half is left to the threads that run graphs
    /// (Swift's cooperative pool) and to the store's writer: one event loop carries far more
    /// requests than the engine can run, and fewer loops cost less CPU per run (docs/performance.md).
    public static var defaultIOThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / 2) }

    /// The manifest to load: the one given, else the default one when it exists, else none.
    public var resolvedManifestPath: String? {
        if let manifestPath { return manifestPath }
        return FileManager.default.fileExists(atPath: Self.defaultManifestPath) ? Self.defaultManifestPath : nil
    }
}
