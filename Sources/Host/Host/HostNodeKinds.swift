import StargraphStore
import StargraphEngine
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
package enum HostNodeKinds {
    /// `write_artifact` writing into `artifacts`, and `broker` asking `broker` (`nil` when
    /// unconfigured: runs reaching a `broker` node then fail with `BrokerUnconfigured`).
    package static func running(
        artifacts: ArtifactStore, configuration: BrokerConfiguration, broker: Broker?
    ) -> [any NodeKind] {
        [WriteArtifactKind(artifacts: artifacts), BrokerNodeKind(configuration: configuration, broker: broker)]
    }

    /// The same kinds for checking graphs only: their configs are validated as when running,
    /// and no database, artifact folder or broker is opened. Their nodes cannot run.
    package static func checkingOnly(broker configuration: BrokerConfiguration) -> [any NodeKind] {
        [WriteArtifactKind(artifacts: nil), BrokerNodeKind(configuration: configuration, broker: nil)]
    }
}
