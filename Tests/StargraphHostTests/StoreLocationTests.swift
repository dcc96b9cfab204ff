import Foundation
import Testing
@testable import StargraphHost

@Suite("Store location: the --db value's scheme picks the store")
struct StoreLocationTests {
    @Test("a path, sqlite:PATH and sqlite://PATH name the same SQLite file", arguments: [
        ("runs.sqlite", "runs.sqlite"), ("./a/b.sqlite", "./a/b.sqlite"), ("/tmp/x.sqlite", "/tmp/x.sqlite"),
        ("sqlite:runs.sqlite", "runs.sqlite"), ("sqlite:///tmp/x.sqlite", "/tmp/x.sqlite"), ("SQLite://a.db", "a.db"),
        ("c:runs.sqlite", "c:runs.sqlite"), ("./odd:name.sqlite", "./odd:name.sqlite"),
    ])
    func sqliteLocations(value: String, path: String) throws {
        #expect(try StoreLocation(parsing: value) == .sqlite(path: path))
    }

    @Test("an unknown scheme is refused by name, and the value (which may hold a password) is not repeated")
    func unknownSchemes() {
        for value in ["mysql://u:s3cret@db/x", "redis://:s3cret@cache:6379", "mongodb+srv://u:s3cret@db/x"] {
            #expect {
                try StoreLocation(parsing: value)
            } throws: { error in
                let description = "\(error)"
                guard case StoreLocationError.unknownScheme(let scheme) = error else { return false }
                return value.hasPrefix(scheme + ":") && !description.contains("s3cret") && description.contains("sqlite:")
            }
        }
    }

    @Test("postgresql:// and postgres:// name a PostgreSQL store; a bad URL is refused without its password")
    func postgresLocations() throws {
        for value in ["postgresql://u:s3cret@db:6432/runs?sslmode=require", "POSTGRES://u:s3cret@db:6432/runs?sslmode=require"] {
            guard case .postgres(let configuration) = try StoreLocation(parsing: value) else {
                Issue.record("\(value) is not a PostgreSQL location")
                continue
            }
            #expect(configuration.host == "db" && configuration.port == 6432 && configuration.database == "runs")
            #expect(configuration.sslMode == "require" && configuration.location == "postgresql://u@db:6432/runs")
        }
        #expect {
            try StoreLocation(parsing: "postgresql://u:s3cret@db/runs?sslmode=maybe")
        } throws: { error in
            error as? StoreLocationError == .invalidPostgresURL(.invalidParameter("sslmode")) && !"\(error)".contains("s3cret")
        }
    }

    @Test("the --db flag wins over STARGRAPH_DB, which wins over the default; an empty variable counts as unset")
    func databaseChoice() {
        let named = ["STARGRAPH_DB": "sqlite:env.sqlite"]
        #expect(StoreLocation.database(flag: "flag.sqlite", environment: named) == "flag.sqlite")
        #expect(StoreLocation.database(flag: nil, environment: named) == "sqlite:env.sqlite")
        #expect(StoreLocation.database(flag: nil, environment: ["STARGRAPH_DB": ""]) == StoreLocation.defaultDatabase)
        #expect(StoreLocation.database(flag: nil, environment: [:]) == StoreLocation.defaultDatabase)
    }

    @Test("an empty value or a bare scheme names no file")
    func emptyLocations() {
        for value in ["", "sqlite:", "sqlite://"] {
            #expect(throws: StoreLocationError.empty) { try StoreLocation(parsing: value) }
        }
    }

    @Test("a runtime opened on a sqlite: URL writes the file the path names")
    func runtimeOpensTheURLFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-location-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = StargraphRuntime.Options()
        options.database = "sqlite://" + folder.appendingPathComponent("runs.sqlite").path
        let runtime = try await StargraphRuntime.open(options)
        try await runtime.store.close()
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs.sqlite").path))
        #expect(runtime.artifacts.directory == folder.appendingPathComponent("artifacts").path)
    }
}
