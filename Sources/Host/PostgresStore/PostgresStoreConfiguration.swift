import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store lives and how to reach it, read from a
/// `postgresql://user:password@host:port/database?sslmode=…` URL (or `postgres://`).
///
/// - `host` may instead be a Unix socket folder, given as the `host` query parameter
///   (`postgresql://user@/db?host=/var/run/postgresql`), as libpq takes it.
/// - `sslmode`: `disable`, `prefer` (the default: TLS when the server offers it), `require`
///   (TLS, certificate not checked), `verify-ca` (certificate checked, host name not) or
///   `verify-full` (both).
/// - Without a password in the URL, the environment variable `PGPASSWORD` gives it, as libpq
///   reads it: a password on a command line is visible to every user of the machine (`ps`).
/// - The password never appears in ``location``, in messages or in logs.
public struct PostgresStoreConfiguration: Sendable, Equatable {
    /// The URL schemes this store answers to.
    public static let schemes = ["postgresql", "postgres"]
    /// The connection pool's size when the caller does not set one.
    public static let defaultPoolSize = 10

    public var host: String
    public var port: Int
    /// A Unix socket folder; when set, ``host`` is not used.
    public var socketFolder: String?
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: String
    /// The most connections the store opens at once.
    public var poolSize: Int

    /// The URL without its password, for messages.
    public var location: String {
        if let socketFolder { return "postgresql://\(username)@/\(database)?host=\(socketFolder)" }
        return "postgresql://\(username)@\(host):\(port)/\(database)"
    }

    /// Reads `url`.
    /// - Throws: ``PostgresURLError`` naming what is wrong; the message never repeats the password.
    public init(
        url: String, poolSize: Int = defaultPoolSize, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(PostgresURLError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              Self.schemes.contains(scheme)
        else { throw .notAPostgresURL }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value else { throw .invalidParameter(item.name) }
            query[item.name] = value
        }
        if let unknown = query.keys.sorted().first(where: { !["sslmode", "host", "port"].contains($0) }) {
            throw .unknownParameter(unknown)
        }
        let queryHost = query["host"]
        socketFolder = queryHost.flatMap { $0.hasPrefix("/") ? $0 : nil }
        let named = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? (socketFolder == nil ? queryHost : nil)
        guard socketFolder != nil || named != nil else { throw .missingHost }
        host = named ?? "localhost"
        let portText = query["port"] ?? components.port.map(String.init)
        guard let port = portText.map({ Int($0) }) ?? 5432, (1...65535).contains(port) else { throw .invalidParameter("port") }
        self.port = port
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else { throw .missingUser }
        username = user
        password = components.password?.removingPercentEncoding ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? user
        sslMode = query["sslmode"] ?? "prefer"
        guard ["disable", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else { throw .invalidParameter("sslmode") }
        self.poolSize = max(1, poolSize)
    }

    /// The PostgresNIO client configuration.
    var client: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketFolder {
            configuration = PostgresClient.Configuration(
                unixSocketPath: Self.socketPath(in: socketFolder, port: port), username: username, password: password, database: database)
        } else {
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// The socket PostgreSQL listens on for `port` in `folder`, as libpq names it.
    static func socketPath(in folder: String, port: Int) -> String { "\(folder)/.s.PGSQL.\(port)" }

    private var tls: PostgresClient.Configuration.TLS {
        switch tlsMode {
        case .disable: .disable
        case .prefer(let configuration): .prefer(configuration)
        case .require(let configuration): .require(configuration)
        }
    }

    /// What ``sslMode`` asks of TLS.
    enum TLSMode {
        case disable, prefer(TLSConfiguration), require(TLSConfiguration)
    }

    var tlsMode: TLSMode {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case "disable":
            return .disable
        case "verify-full":
            return .require(tls)
        case "verify-ca":
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case "require":
            tls.certificateVerification = .none
            return .require(tls)
        default:
            tls.certificateVerification = .none
            return .prefer(tls)
        }
    }
}

/// Why a `postgresql://` URL cannot be used. No case carries the password.
public enum PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAPostgresURL
    case missingHost
    case missingUser
    case unknownParameter(String)
    case invalidParameter(String)

    public var description: String {
        let shape = "postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require"
        switch self {
        case .notAPostgresURL: return "not a PostgreSQL URL; write \(shape)"
        case .missingHost: return "the PostgreSQL URL names no host; write \(shape), or ?host=/socket/folder"
        case .missingUser: return "the PostgreSQL URL names no user; write \(shape)"
        case .unknownParameter(let name):
            return "the PostgreSQL URL has the parameter '\(name)', which this host does not take; it takes sslmode, host and port"
        case .invalidParameter(let name):
            return "the PostgreSQL URL's \(name) is not valid"
                + (name == "sslmode" ? "; use disable, prefer, require, verify-ca or verify-full" : "")
        }
    }
}
