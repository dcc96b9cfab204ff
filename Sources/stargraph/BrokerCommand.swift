import ArgumentParser
import Foundation
import Logging
import StargraphHost
import StargraphCore
import StargraphBroker

/// `stargraph broker`: the policy broker's tools.
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker", abstract: "Policy broker tools.", subcommands: [BrokerCheckCommand.self])
}

/// `stargraph broker check [--nautilus-config F]`: validates a nautilus config and prints its
/// sources (metadata only). Exit 0 when valid, 2 when missing or invalid (every problem as
/// `file:line:column: message`).
struct BrokerCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate a nautilus config and print its sources, agents and routing.")

    @Option(name: .customLong("nautilus-config"), help: "The config to check (default: \(BrokerConfiguration.defaultPath)).", completion: .file(extensions: ["yaml", "yml"]))
    var nautilusConfig: String?

    @Flag(help: "Print the sources as JSON instead of text.")
    var json = false

    func run() throws {
        let configuration: BrokerConfiguration
        do {
            configuration = try BrokerConfiguration.detect(
                flagPath: nautilusConfig, manifestPath: nil, logger: Logger(label: "stargraph.broker"))
        } catch let error as BrokerConfigurationError {
            throw UsageError(message: error.description)
        }
        guard let policy = configuration.policy else {
            throw UsageError(message: "no nautilus config at \(configuration.searchedPath); pass --nautilus-config F")
        }
        if json {
            print(PrettyJSON.encode(.object(["config": .string(policy.sourceFile), "sources": .array(policy.sources.map(\.metadata))])))
            return
        }
        print("\(policy.sourceFile): valid (version \(policy.version))")
        print("clearance levels: \(policy.clearanceLevels.joined(separator: " < "))")
        for source in policy.sources {
            print("source \(source.id) (\(source.typeName), \(source.classification))")
            if !source.description.isEmpty { print("  \(source.description)") }
            print("  data types        \(source.dataTypes.joined(separator: ", "))")
            print("  allowed purposes  \(source.allowedPurposes.isEmpty ? "-" : source.allowedPurposes.joined(separator: ", "))")
            print("  timeout \(CanonicalJSON.formatNumber(source.timeoutSeconds)) s, max rows \(source.maxRows)")
        }
        for agent in policy.agents {
            print("agent \(agent.id) (clearance \(agent.clearance)): \(agent.allowedPurposes.joined(separator: ", "))")
        }
        for rule in policy.intentMap {
            print("intent '\(rule.glob)' → \(rule.dataTypes.joined(separator: ", "))")
        }
        print("attestation \(policy.attestation.enabled ? "on" : "off"), audit \(policy.auditPath)")
    }
}
