import Foundation
import Logging
import StargraphCore

/// Where the policy broker's `nautilus.yaml` is, found at boot: `--nautilus-config`,
/// else the manifest's `nautilus_config`, else `./config/nautilus.yaml`.
///
/// A missing file is not an error: the broker soft-fails (one warning, `/health` says
/// `unconfigured`, the `broker` node kind fails runs that reach it). A file that exists but is
/// not valid YAML, or does not fit the config format (``BrokerPolicy``), stops boot with
/// `file:line:column`.
public struct BrokerConfiguration: Sendable {
    /// The config folder's file, used when neither the flag nor the manifest names one.
    public static let defaultPath = "./config/nautilus.yaml"

    /// The file that was found and parsed, or `nil` when the broker is unconfigured.
    public let path: String?
    /// Where the file was looked for (for the warning and `/health`).
    public let searchedPath: String
    /// The validated config, or `nil` when the broker is unconfigured.
    public let policy: BrokerPolicy?

    /// Finds and checks the config. `flagPath` (`--nautilus-config`) wins over `manifestPath`
    /// (the manifest's `nautilus_config`, already resolved against the manifest's folder).
    /// - Throws: ``BrokerConfigurationError`` when the file exists but cannot be read, parsed or
    ///   validated; its description lists every problem as `file:line:column: message`.
    public static func detect(flagPath: String?, manifestPath: String?, logger: Logger) throws -> BrokerConfiguration {
        let candidate = flagPath ?? manifestPath ?? defaultPath
        guard FileManager.default.fileExists(atPath: candidate) else {
            logger.warning("broker unconfigured: no nautilus config at \(candidate); runs reaching a `broker` node will fail with BrokerUnconfigured")
            return BrokerConfiguration(path: nil, searchedPath: candidate, policy: nil)
        }
        let text: String
        do {
            text = try String(contentsOfFile: candidate, encoding: .utf8)
        } catch {
            throw BrokerConfigurationError.unreadable(candidate, UnreadableFile.reason(candidate))
        }
        do {
            guard let root = try YAMLParser.parse(text, sourceName: candidate) else {
                throw GraphLoadErrors([GraphLoadError(
                    file: candidate, line: 1, column: 1, message: "the nautilus config is empty; write a YAML mapping or remove the file")])
            }
            let policy = try BrokerPolicyDecoder.decode(root, file: candidate)
            return BrokerConfiguration(path: candidate, searchedPath: candidate, policy: policy)
        } catch let errors as GraphLoadErrors {
            throw BrokerConfigurationError.invalid(errors)
        }
    }
}

/// A broker config that exists but cannot be used: boot stops with this message.
public enum BrokerConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file exists but cannot be read (path, reason).
    case unreadable(String, String)
    /// The file does not parse or does not fit the format; every problem with its position.
    case invalid(GraphLoadErrors)
    /// The config is valid but the broker cannot start with it (what, reason): its signing key
    /// or audit log cannot be opened or created.
    case cannotStart(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why):
            "cannot read the nautilus config \(path): \(why); fix its permissions or remove it"
        case .invalid(let errors):
            "invalid nautilus config (fix it, or remove it to run without the broker):\n\(errors.description)"
        case .cannotStart(let what, let why):
            "the broker cannot start: \(what): \(why); fix the path or its permissions in the nautilus config"
        }
    }
}
