import Logging
import StargraphSQLite
import StargraphStore
import StargraphEngine
import StargraphPlugins
import StargraphBroker

/// The node kinds the host provides beside the built-ins, which need the host's own state:
/// `write_artifact` (content-addressed files beside the database, rows in it) and `broker` (the
/// policy broker, when a nautilus config is found).
///
/// `stargraph serve` and the CLI's `run`, `resume` and `replay` register the same ones, so a
/// graph runs, resumes and replays alike under both, and artifacts a CLI run writes are served by
/// `GET /v1/artifacts/{id}` from the same database. Commands that only compile graphs
/// (`validate`, `inspect`, `plugins`, `graphs`) use ``checkingOnly(broker:)``, which writes nothing.
public struct HostNodeKinds: Sendable {
    /// The artifact store beside the database (the server's artifact routes read it too).
    public let artifacts: ArtifactStore
    /// Where the broker config was looked for, and the policy when one was found.
    public let brokerConfiguration: BrokerConfiguration
    /// The running broker, `nil` when unconfigured (runs reaching a `broker` node then fail
    /// with `BrokerUnconfigured`).
    public let broker: Broker?

    /// Uses the artifact folder beside `store`'s database (created by the first artifact) and
    /// starts the broker `brokerConfiguration` configures, if any.
    /// - Throws: ``BrokerConfigurationError`` when the broker cannot start (its key or audit log).
    package init(
        store: SQLiteRunStore, brokerConfiguration: BrokerConfiguration, logger: Logger = Logger(label: "stargraph.broker")
    ) throws {
        artifacts = ArtifactStore(directory: ArtifactStore.defaultDirectory(forDatabase: store.path), store: store)
        self.brokerConfiguration = brokerConfiguration
        broker = try brokerConfiguration.policy.map { try Broker(policy: $0, logger: logger) }
    }

    /// `write_artifact` and `broker`, for a ``StargraphRuntime``'s ``StargraphRuntime/Options/nodeKinds``.
    public var kinds: [any NodeKind] {
        [WriteArtifactKind(artifacts: artifacts), BrokerNodeKind(configuration: brokerConfiguration, broker: broker)]
    }

    /// The same kinds for checking graphs only: their configs are validated as when running,
    /// and no database, artifact folder or broker is opened. Their nodes cannot run.
    public static func checkingOnly(broker configuration: BrokerConfiguration) -> [any NodeKind] {
        [WriteArtifactKind(artifacts: nil), BrokerNodeKind(configuration: configuration, broker: nil)]
    }

    /// The broker config a command without `--nautilus-config` uses, as serve finds it:
    /// `manifest`'s `nautilus_config`, else ``BrokerConfiguration/defaultPath``. A missing file is
    /// not logged (the CLI stays quiet; serve warns at boot).
    /// - Throws: ``BrokerConfigurationError`` for a config file that exists but is invalid.
    public static func brokerConfiguration(manifest: Manifest?) throws -> BrokerConfiguration {
        var quiet = Logger(label: "stargraph.broker")
        quiet.logLevel = .error
        return try BrokerConfiguration.detect(flagPath: nil, manifestPath: manifest?.nautilusConfig, logger: quiet)
    }
}
