import Logging
import StargraphBroker
import StargraphSQLite
import StargraphEngine
import StargraphPlugins

extension StargraphRuntime {
    /// Opens only the store the `--db` value `database` names, for commands that read runs
    /// without running any (`stargraph runs`, `verify-audit`). A missing database is an error.
    /// - Throws: ``StoreLocationError`` or the store's ``StoreError``.
    package static func openStore(_ database: String) async throws -> any HostStore {
        try await StoreLocation(parsing: database).open(durability: .normal, create: false, checkpointsInBackground: false)
    }

    /// For commands that only list or compile graphs and open no database: the manifest's plugins
    /// (`nil` without a manifest), and a compiler that knows every kind a running host knows — the
    /// built-ins, the host's own in their checking-only form, and the plugins' kinds.
    /// - Throws: ``BrokerConfigurationError`` for a broker config that exists but is invalid,
    ///   ``PluginLoadError`` for a plugin that cannot load.
    public static func openForChecking(manifest: Manifest?) throws -> (plugins: PluginSet?, compiler: GraphCompiler) {
        var options = Options()
        options.manifest = manifest
        return try loadPlugins(
            manifest, on: .builtins(), adding: HostNodeKinds.checkingOnly(broker: try brokerConfiguration(options)),
            policy: .permissive, logger: Logger(label: "stargraph.plugins"))
    }
}
