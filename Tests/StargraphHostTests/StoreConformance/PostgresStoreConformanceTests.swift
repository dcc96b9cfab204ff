import Foundation
import Logging
import PostgresNIO
import Testing
@testable import StargraphCore
@testable import StargraphPostgres
@testable import StargraphStore

/// The store conformance checks on the PostgreSQL store, each on a new database of the
/// throwaway cluster `make test` starts (`scripts/with-test-postgres.sh`).
@Suite("Store conformance: PostgreSQL", .serialized)
struct PostgresStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await PostgresTestDatabase.withStore { store, _ in try await check.run(store) }
    }

    @Test("hosts that boot together on a new database migrate it once, under the advisory lock")
    func concurrentMigrations() async throws {
        try await PostgresTestDatabase.withDatabase { configuration in
            let stores = try await withThrowingTaskGroup(of: PostgresRunStore.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresRunStore.open(configuration) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let applied = try await PostgresTestDatabase.query(configuration, "SELECT identifier FROM stargraph_migrations")
            #expect(applied.count == PostgresMigrations.all.count)
            try await stores[0].insertRun(StoreConformance.run("run-m"), events: [StoreConformance.event("run_created")])
            #expect(try await stores[3].run("run-m")?.runId == "run-m")
            for store in stores { try await store.close() }
        }
    }

    @Test("a store watching run updates hears of the events another store on the database commits")
    func runUpdatesReachOtherHosts() async throws {
        try await PostgresTestDatabase.withStore { writer, configuration in
            let watcher = try await PostgresRunStore.open(configuration)
            let (heard, hear) = AsyncStream.makeStream(of: String.self)
            watcher.watchRunUpdates { hear.yield($0) }
            // The listener connects on its own: write until it hears, giving up after 10 s.
            let writes = Task {
                for index in 0..<100 {
                    try await writer.insertRun(StoreConformance.run("run-n\(index)"), events: [StoreConformance.event("run_created")])
                    try await Task.sleep(for: .milliseconds(100))
                }
                hear.finish()
            }
            var first: String?
            for await runId in heard {
                first = runId
                break
            }
            writes.cancel()
            #expect(first?.hasPrefix("run-n") == true)
            try await watcher.close()
        }
    }

    @Test("a database another program wrote is refused, naming its tables")
    func foreignDatabase() async throws {
        try await PostgresTestDatabase.withDatabase { configuration in
            _ = try await PostgresTestDatabase.query(configuration, "CREATE TABLE customers (id INTEGER)")
            await #expect {
                _ = try await PostgresRunStore.open(configuration)
            } throws: { error in
                guard case StoreError.foreignDatabase(_, let tables) = error else { return false }
                return tables == ["customers"]
            }
        }
    }

    @Test("a wrong password is refused at open, and the message never holds the password")
    func wrongPassword() async throws {
        var configuration = try PostgresTestDatabase.administration()
        configuration.password = "not-the-password-\(UUID().uuidString)"
        let secret = try #require(configuration.password)
        await #expect {
            _ = try await PostgresRunStore.open(configuration)
        } throws: { error in
            let text = "\(error)"
            return text.contains("password authentication failed") && !text.contains(secret) && text.contains(configuration.location)
        }
    }

    @Test("sslmode=require connects over TLS; verify-full refuses a certificate no root vouches for")
    func tls() async throws {
        try await PostgresTestDatabase.withDatabase { plain in
            var configuration = plain
            configuration.sslMode = "require"
            let store = try await PostgresRunStore.open(configuration)
            try await store.insertRun(StoreConformance.run("run-tls"), events: [])
            #expect(try await store.run("run-tls") != nil)
            try await store.close()
            #expect(try await PostgresTestDatabase.query(configuration, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == ["true"])
            #expect(try await PostgresTestDatabase.query(plain, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == ["false"])
            configuration.sslMode = "verify-full"
            await #expect {
                _ = try await PostgresRunStore.open(configuration)
            } throws: { error in
                guard case StoreError.cannotOpen = error else { return false }
                return "\(error)".lowercased().contains("certificate")
            }
        }
    }

    @Test("PostgreSQL URLs: host, port, socket folder, sslmode, and errors that never repeat the password")
    func urls() throws {
        let tcp = try PostgresStoreConfiguration(url: "postgresql://ops:s%3Acret@db.internal:6543/runs?sslmode=require", poolSize: 4)
        #expect(tcp.host == "db.internal" && tcp.port == 6543 && tcp.database == "runs" && tcp.password == "s:cret")
        #expect(tcp.username == "ops" && tcp.sslMode == "require" && tcp.poolSize == 4)
        #expect(tcp.location == "postgresql://ops@db.internal:6543/runs")
        let socket = try PostgresStoreConfiguration(url: "postgres://ops@/runs?host=/var/run/postgresql")
        #expect(socket.socketFolder == "/var/run/postgresql" && socket.port == 5432 && socket.sslMode == "prefer")
        #expect(try PostgresStoreConfiguration(url: "postgresql://ops@db").database == "ops", "the database defaults to the user")
        #expect(try PostgresStoreConfiguration(url: "postgresql://ops@db/x", environment: ["PGPASSWORD": "from-env"]).password == "from-env")
        #expect(try PostgresStoreConfiguration(url: "postgresql://ops:url@db/x", environment: ["PGPASSWORD": "from-env"]).password == "url")
        for (url, error) in [
            ("postgresql://ops:pw@db/x?sslmode=sometimes", PostgresURLError.invalidParameter("sslmode")),
            ("postgresql://ops:pw@db/x?application=x", .unknownParameter("application")),
            ("postgresql://:pw@db/x", .missingUser),
            ("postgresql:///x", .missingHost),
            ("postgresql://ops:pw@db:0/x", .invalidParameter("port")),
        ] {
            #expect(throws: error) { try PostgresStoreConfiguration(url: url) }
            #expect(!error.description.contains("pw"))
        }
    }
}

/// Fresh databases on the test cluster, from `STARGRAPH_TEST_POSTGRES_URL`.
enum PostgresTestDatabase {
    static let variable = "STARGRAPH_TEST_POSTGRES_URL"

    /// The cluster's administration URL, read.
    static func administration() throws -> PostgresStoreConfiguration {
        guard let url = ProcessInfo.processInfo.environment[variable] else {
            Issue.record("\(variable) is not set: run the tests with `make test` (or scripts/with-test-postgres.sh swift test)")
            throw StoreError.databaseNotFound(variable)
        }
        return try PostgresStoreConfiguration(url: url)
    }

    /// Runs `body` with the configuration of a new, empty database, dropped afterwards.
    static func withDatabase(_ body: (PostgresStoreConfiguration) async throws -> Void) async throws {
        let administration = try administration()
        let name = "sg_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        _ = try await query(administration, "CREATE DATABASE \(name)")
        var configuration = administration
        configuration.database = name
        do {
            try await body(configuration)
        } catch {
            _ = try? await query(administration, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
        _ = try await query(administration, "DROP DATABASE \(name) WITH (FORCE)")
    }

    /// Runs `body` with a store opened on a new, empty database.
    static func withStore(_ body: (PostgresRunStore, PostgresStoreConfiguration) async throws -> Void) async throws {
        try await withDatabase { configuration in
            let store = try await PostgresRunStore.open(configuration)
            do {
                try await body(store, configuration)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    /// Runs `sql` (statements without parameters) on its own connection; the first column of each row, as text.
    static func query(_ configuration: PostgresStoreConfiguration, _ sql: String) async throws -> [String] {
        let connection = try await PostgresConnection.connect(
            configuration: configuration.connection(), id: 1, logger: Logger(label: "test.postgres"))
        do {
            let rows = try await connection.simpleQuery(sql).get()
            try await connection.close()
            return rows.compactMap { $0.makeRandomAccess()[data: 0].string }
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
