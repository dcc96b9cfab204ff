import ArgumentParser
import Foundation
import StargraphHost
import StargraphServe
import StargraphStore
import StargraphBroker

extension ServeProfile: ExpressibleByArgument {}

/// `stargraph serve`: the HTTP API over the durable scheduler, until SIGINT/SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the /v1 API: runs, graphs, plugins, event streams.",
        discussion: "Prints `listening on http://HOST:PORT` to stderr once it accepts connections. SIGINT/SIGTERM starts no new step, cancels executing steps (uncommitted; they run again on the next start), waits for them at most --drain-timeout seconds, and exits 0.")

    @Option(help: "oss-default (anonymous allowed) or cleared (API keys, pinned plugins, signed audit log).")
    var profile: ServeProfile = .ossDefault

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed when listening).")
    var port = 8000

    @Option(name: .customLong("db"), help: "Database: a SQLite file path, sqlite:PATH, or postgresql://USER:PASSWORD@HOST:PORT/DB?sslmode=require (default: $STARGRAPH_DB, else \(StoreLocation.defaultDatabase)).", completion: .file())
    var database: String?

    @Option(name: .customLong("db-pool-size"), help: "Most connections to a PostgreSQL database (default \(StoreLocation.defaultPostgresPoolSize)).")
    var databasePoolSize: Int?

    @Option(name: .customLong("audit-log"), help: "Append run events to this hash-chained JSONL audit log.", completion: .file())
    var auditLog: String?

    @OptionGroup var auditSigning: AuditSigningOptions

    @Option(help: "Plugin manifest (default: \(ServeOptions.defaultManifestPath) when it exists).", completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String?

    @Option(name: .customLong("graph"), help: "A graph YAML file to serve besides the manifest's (repeatable).", completion: .file(extensions: ["yaml", "yml"]))
    var graphs: [String] = []

    @Option(name: .customLong("nautilus-config"), help: "Broker config (default: the manifest's nautilus_config, else \(BrokerConfiguration.defaultPath)).", completion: .file(extensions: ["yaml", "yml"]))
    var nautilusConfig: String?

    @Option(help: "Runs executing at once, over all graphs.")
    var workers = ServeOptions().workers

    @Option(name: .customLong("io-threads"), help: "Event loop threads of the HTTP listener (default: half the cores, at least 1).")
    var ioThreads: Int?

    @Option(name: .customLong("api-keys"), help: "API key file: a list of {id, key_sha256, capabilities}.", completion: .file())
    var apiKeys: String?

    @Option(name: .customLong("rate-limit"), help: "Mutating requests per second per client (burst twice that); 0 turns it off.")
    var rateLimit = ServeOptions().rateLimit

    @Option(help: "normal (synchronous=NORMAL) or full (fsync every commit).")
    var durability: Durability = .normal

    @Option(name: .customLong("drain-timeout"), help: "Seconds SIGTERM waits for executing steps (cancelled at once) before exiting; unfinished steps resume on the next start.")
    var drainTimeout: Double = 30

    @Option(name: .customLong("header-timeout"), help: "Seconds a connection may take to send its first request head (408, then closed).")
    var headerTimeout: Double = 10

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may stay without a request before it is closed.")
    var idleTimeout: Double = 30

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard (ioThreads ?? 1) >= 1 else { throw ValidationError("--io-threads must be at least 1") }
        guard (1...1000).contains(databasePoolSize ?? 1) else { throw ValidationError("--db-pool-size must be from 1 to 1000") }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must be 0 (off) or positive") }
        guard drainTimeout >= 0, drainTimeout <= 86_400 else { throw ValidationError("--drain-timeout must be from 0 to 86400 seconds") }
        for (flag, seconds) in [("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout)] {
            guard seconds > 0, seconds <= 86_400 else { throw ValidationError("\(flag) must be more than 0 and at most 86400 seconds") }
        }
    }

    func run() async throws {
        var options = ServeOptions()
        options.profile = profile
        options.host = host
        options.port = port
        options.database = StoreLocation.database(flag: database)
        options.durability = durability
        options.databasePoolSize = databasePoolSize
        options.auditLogPath = auditLog
        options.auditSigningKeyPath = try auditSigning.keyPath(signing: auditLog, logFlag: "--audit-log")
        options.manifestPath = manifest
        options.graphPaths = graphs
        options.brokerConfigPath = nautilusConfig
        options.workers = workers
        options.ioThreads = ioThreads ?? ServeOptions.defaultIOThreads
        options.apiKeysPath = apiKeys
        options.rateLimit = rateLimit
        options.drainTimeout = .milliseconds(Int64(drainTimeout * 1000))
        options.connectionTimeouts = ConnectionTimeouts(
            header: .milliseconds(Int64(headerTimeout * 1000)), idle: .milliseconds(Int64(idleTimeout * 1000)))
        let server = try await StargraphServer(options: options) { host, port in
            printError("listening on http://\(host):\(port)")
        }
        try await server.run()
    }
}
