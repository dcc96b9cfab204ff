import Foundation
import Logging
import NIOSSL
import PostgresNIO
import StargraphCore
import StargraphStore
import Synchronization

/// The run store on PostgreSQL: the same tables and rules as ``RunStore``'s SQLite backend,
/// in a database several hosts can share. Every write is one transaction, committed with
/// PostgreSQL's default `synchronous_commit` (on), so it is durable when it returns.
///
/// Open it with ``open(_:logger:)``, which checks the connection (so a wrong password or an
/// unreachable server is an error at once, not on the first run) and migrates the schema.
public final class PostgresRunStore: RunStore, RunQueue, WebhookOutbox, Sendable {
    /// The URL without its password.
    package let location: String
    let client: PostgresClient
    let logger: Logger
    private let configuration: PostgresStoreConfiguration
    private let running: Task<Void, Never>
    private let listeners = Mutex<[Task<Void, Never>]>([])
    private let health = WriteHealth()
    private let isClosed = Atomic(false)

    /// The channel every write with events notifies, with the run id as payload.
    static let updatesChannel = "stargraph_run_updates"

    private init(configuration: PostgresStoreConfiguration, client: PostgresClient, running: Task<Void, Never>, logger: Logger) {
        self.configuration = configuration
        location = configuration.location
        self.client = client
        self.running = running
        self.logger = logger
    }

    /// Connects to the database `configuration` names and migrates it.
    /// - Parameter createIfMissing: `false` for read-only commands: a database this host never
    ///   migrated is ``StoreError/databaseNotFound(_:)``, and nothing is created in it.
    /// - Throws: ``StoreError/cannotOpen(path:detail:)`` naming why the server refused or could
    ///   not be reached (never the password), or a migration error.
    public static func open(
        _ configuration: PostgresStoreConfiguration, createIfMissing: Bool = true, logger: Logger = Logger(label: "stargraph.store")
    ) async throws -> PostgresRunStore {
        let location = configuration.location
        // One connection of its own first: it tells a refused or unreachable server at once,
        // and migrates before the pool serves anything.
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration.connection(), id: 0, logger: logger)
        } catch {
            throw StoreError.cannotOpen(path: location, detail: describe(error))
        }
        do {
            try await PostgresMigrations.migrate(on: connection, location: location, create: createIfMissing, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            if let error = error as? StoreError { throw error }
            throw StoreError.migrationFailed(path: location, detail: describe(error))
        }
        let client = PostgresClient(configuration: configuration.client, backgroundLogger: logger)
        // The pool serves leases once `run()` was entered: wait for its task to get there.
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let running = Task {
            start.finish()
            await client.run()
        }
        for await _ in started {}
        return PostgresRunStore(configuration: configuration, client: client, running: running, logger: logger)
    }

    /// Why the last write failed, while writes fail.
    package var lastWriteFailure: WriteFailure? { health.lastFailure }

    package func ping() async throws {
        try await read("checking \(location)") { connection in
            try await connection.query("SELECT 1", logger: self.logger).collect()
        }
    }

    package func probeWritesAfterFailure() async {
        guard lastWriteFailure != nil else { return }
        _ = try? await write("probing writes") { connection in
            try await connection.query("""
                INSERT INTO store_probe (id, written_at, filler) VALUES (1, \(Timestamps.format(Date())), '\\x00'::bytea)
                ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at
                """, logger: self.logger)
        }
    }

    /// Listens on ``updatesChannel`` on a connection of its own (outside the pool), connecting
    /// again a second after it drops, until ``close()``.
    package func watchRunUpdates(_ onUpdate: @escaping @Sendable (String) -> Void) {
        let configuration = configuration, logger = logger
        let listener = Task {
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration.connection(), id: 1, logger: logger)
                    do {
                        try await connection.listen(on: Self.updatesChannel) { notifications in
                            for try await notification in notifications { onUpdate(notification.payload) }
                        }
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("listening for run updates failed; retrying", metadata: ["error": "\(Self.describe(error))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        listeners.withLock { $0.append(listener) }
    }

    /// Refuses new writes, stops listening, then closes every connection.
    package func close() async throws {
        isClosed.store(true, ordering: .sequentiallyConsistent)
        for listener in listeners.withLock({ $0 }) {
            listener.cancel()
            _ = await listener.result
        }
        running.cancel()
        _ = await running.result
    }

    // MARK: - Transactions

    /// Runs `body` in one transaction on a pooled connection: committed when it returns, rolled
    /// back when it throws. A ``StoreError`` the body throws passes through; any other failure
    /// becomes ``StoreError/database(operation:detail:)`` and marks writes as failing.
    @discardableResult
    func write<T: Sendable>(_ operation: String, _ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        guard !isClosed.load(ordering: .sequentiallyConsistent) else { throw StoreError.closed(path: location) }
        do {
            let result = try await client.withConnection { connection in
                try await Self.transaction(on: connection, logger: logger, body)
            }
            health.succeeded()
            return result
        } catch let error as StoreError {
            throw error
        } catch {
            health.failed(error)
            throw StoreError.database(operation: operation, detail: Self.describe(error))
        }
    }

    /// Runs `body` between `BEGIN` and `COMMIT` on `connection` (`ROLLBACK` when it throws),
    /// passing its errors through as they are.
    static func transaction<T: Sendable>(
        on connection: PostgresConnection, logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Runs `body` on a pooled connection, outside a transaction.
    @discardableResult
    func read<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        guard !isClosed.load(ordering: .sequentiallyConsistent) else { throw StoreError.closed(path: location) }
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(operation: operation, detail: Self.describe(error))
        }
    }

    /// Whether `error` is PostgreSQL's unique violation (SQLSTATE 23505) of `constraint`.
    static func isUniqueViolation(_ error: any Error, of constraint: String) -> Bool {
        guard let error = error as? PSQLError, let info = error.serverInfo else { return false }
        return info[.sqlState] == "23505" && info[.constraintName] == constraint
    }

    /// What went wrong, from the server's message or the connection's error; PostgresNIO's own
    /// description hides both.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            return [info[.message], info[.detail].map { "(\($0))" }, info[.sqlState].map { "[SQLSTATE \($0)]" }]
                .compactMap { $0 }.joined(separator: " ")
        }
        return error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
    }
}

extension PostgresStoreConfiguration {
    /// The configuration of one connection (the check that ``PostgresRunStore/open(_:logger:)`` makes).
    func connection() throws -> PostgresConnection.Configuration {
        if let socketFolder {
            return PostgresConnection.Configuration(
                unixSocketPath: Self.socketPath(in: socketFolder, port: port), username: username, password: password, database: database)
        }
        let tls: PostgresConnection.Configuration.TLS = switch tlsMode {
        case .disable: .disable
        case .prefer(let configuration): .prefer(try NIOSSLContext(configuration: configuration))
        case .require(let configuration): .require(try NIOSSLContext(configuration: configuration))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
