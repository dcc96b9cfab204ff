import Logging
import StargraphStore
import StargraphEngine
import StargraphPlugins
import StargraphBroker

/// The node kinds the host provides beside the built-ins, which need the host's own state:
/// `write_artifact` (content-addressed files beside the database, rows in it) and `broker` (the
/// policy broker, when a nautilus config is found).
///
/// Every host ``StargraphRuntime/open(_:registry:logger:)`` composes registers them, so a graph
/// runs, resumes and replays alike under the CLI and `stargraph serve`, and artifacts a CLI run
/// writes are served by `GET /v1/artifacts/{id}` from the same database. Commands that only
/// compile graphs (`validate`, `inspect`, `plugins`, `graphs`) use ``checkingOnly(broker:)``,
/// which writes nothing.
package struct HostNodeKinds: Sendable {
    /// Where `write_artifact` writes.
    package let artifacts: ArtifactStore
    /// Where the broker config was looked for, and the policy when one was found.
    package let brokerConfiguration: BrokerConfiguration
    /// The running broker, `nil` when unconfigured (runs reaching a `broker` node then fail
    /// with `BrokerUnconfigured`).
    package let broker: Broker?

    /// Writes artifacts to `artifacts` and starts the broker `brokerConfiguration` configures, if any.
    /// - Throws: ``BrokerConfigurationError`` when the broker cannot start (its key or audit log).
    package init(
        artifacts: ArtifactStore, brokerConfiguration: BrokerConfiguration, logger: Logger = Logger(label: "stargraph.broker")
    ) throws {
        self.artifacts = artifacts
        self.brokerConfiguration = brokerConfiguration
        broker = try brokerConfiguration.policy.map { try Broker(policy: $0, logger: logger) }
    }

    /// `write_artifact` and `broker`, able to run.
    package var kinds: [any NodeKind] {
        [WriteArtifactKind(artifacts: artifacts), BrokerNodeKind(configuration: brokerConfiguration, broker: broker)]
    }

    /// The same kinds for checking graphs only: their configs are validated as when running,
    /// and no database, artifact folder or broker is opened. Their nodes cannot run.
    package static func checkingOnly(broker configuration: BrokerConfiguration) -> [any NodeKind] {
        [WriteArtifactKind(artifacts: nil), BrokerNodeKind(configuration: configuration, broker: nil)]
    }
}
