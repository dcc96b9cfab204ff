import Foundation
import Logging

/// Where the policy broker's `nautilus.yaml` is, found at boot (DESIGN §8): `--nautilus-config`,
/// else the manifest's `nautilus_config`, else `./config/nautilus.yaml`.
///
/// A missing file is not an error: the broker soft-fails (one warning, `/health` says
/// `unconfigured`, the `broker` node kind fails runs that reach it). A file that exists but is
/// not valid YAML stops boot with `file:line:column`. (The broker itself is a later issue;
/// here only its configuration is found and checked.)
public struct BrokerConfiguration: Sendable {
    /// The config folder's file, used when neither the flag nor the manifest names one.
    public static let defaultPath = "./config/nautilus.yaml"

    /// The file that was found and parsed, or `nil` when the broker is unconfigured.
    public let path: String?
    /// Where the file was looked for (for the warning and `/health`).
    public let searchedPath: String

    /// Finds and checks the config. `flagPath` (`--nautilus-config`) wins over `manifestPath`
    /// (the manifest's `nautilus_config`, already resolved against the manifest's folder).
    /// - Throws: ``BrokerConfigurationError`` when the file exists but cannot be read or parsed.
    public static func detect(flagPath: String?, manifestPath: String?, logger: Logger) throws -> BrokerConfiguration {
        let candidate = flagPath ?? manifestPath ?? defaultPath
        guard FileManager.default.fileExists(atPath: candidate) else {
            logger.warning("broker unconfigured: no nautilus config at \(candidate); runs reaching a `broker` node will fail with BrokerUnconfigured")
            return BrokerConfiguration(path: nil, searchedPath: candidate)
        }
        let text: String
        do {
            text = try String(contentsOfFile: candidate, encoding: .utf8)
        } catch {
            throw BrokerConfigurationError.unreadable(candidate, "\(error.localizedDescription)")
        }
        do {
            guard let root = try YAMLParser.parse(text, sourceName: candidate) else {
                throw BrokerConfigurationError.invalid(GraphLoadErrors([GraphLoadError(
                    file: candidate, line: 1, column: 1, message: "the nautilus config is empty; write a YAML mapping or remove the file")]))
            }
            guard root.mappingPairs != nil else {
                throw BrokerConfigurationError.invalid(GraphLoadErrors([GraphLoadError(
                    file: candidate, at: root.mark, message: "the nautilus config must be a YAML mapping")]))
            }
        } catch let errors as GraphLoadErrors {
            throw BrokerConfigurationError.invalid(errors)
        }
        return BrokerConfiguration(path: candidate, searchedPath: candidate)
    }
}

/// A broker config that exists but cannot be used: boot stops with this message.
public enum BrokerConfigurationError: Error, Sendable, CustomStringConvertible {
    case unreadable(String, String)
    case invalid(GraphLoadErrors)

    public var description: String {
        switch self {
        case .unreadable(let path, let why):
            "cannot read the nautilus config \(path): \(why); fix its permissions or remove it"
        case .invalid(let errors):
            "invalid nautilus config (fix it, or remove it to run without the broker):\n\(errors.description)"
        }
    }
}
