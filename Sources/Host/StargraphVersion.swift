/// The host's release version: printed by `stargraph --version`, reported by `GET /health` and
/// as `info.version` of `GET /openapi.json`.
public enum StargraphVersion {
    /// The version as `MAJOR.MINOR.PATCH` (semantic versioning).
    public static let current = "0.4.0"
}
