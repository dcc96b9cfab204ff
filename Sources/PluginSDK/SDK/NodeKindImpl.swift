/// Whether a node kind touches the world: pure kinds re-execute on replay,
/// side-effecting ones are served from the recording.
public enum NodeEffects: Sendable {
    case pure
    case sideEffecting
}

/// Whether the host may run a kind's `run` concurrently.
public enum NodeThreading: Sendable {
    /// `run` may be called from many threads at once (the default).
    case threadSafe
    /// The host never has two `run` calls of this kind in flight at once.
    case serial
}

/// A node kind written in Swift. Implement ``run(_:host:)``; the SDK turns the type into an
/// ABI node kind (`<plugin>.<name>`), decodes the run's state into `input` and encodes the
/// returned patch. One value is made per graph node (``init()`` then ``configure(_:)``) and
/// shared by every run of that node, so keep it immutable after `configure`.
public protocol NodeKindImpl: Sendable {
    /// The kind's name inside its plugin (`clock` → graphs write `kind: <plugin>.clock`).
    static var name: String { get }
    /// Pure (default) or side-effecting.
    static var effects: NodeEffects { get }
    /// Thread-safe (default) or serial.
    static var threading: NodeThreading { get }
    /// A JSON Schema (JSON text) the host checks every node's `config` against, or `nil`.
    static var configSchema: String? { get }

    /// A fresh, unconfigured instance.
    init()
    /// Applies one graph node's `config`. Throw ``NodeError`` to refuse it: the graph is
    /// then rejected before any run starts, with your message. By default only an empty
    /// config is accepted.
    mutating func configure(_ config: [String: PluginValue]) throws
    /// Runs the node on the run's whole state and returns the patch to merge into it. Throw
    /// ``NodeError`` (or any error) to fail the run with `error_class: PluginError`.
    func run(_ input: [String: PluginValue], host: HostContext) throws -> [String: PluginValue]
}

extension NodeKindImpl {
    public static var effects: NodeEffects { .pure }
    public static var threading: NodeThreading { .threadSafe }
    public static var configSchema: String? { nil }

    public mutating func configure(_ config: [String: PluginValue]) throws {
        guard config.isEmpty else {
            throw NodeError(code: NodeError.invalidConfig, message: "kind '\(Self.name)' takes no config; remove the keys \(config.keys.sorted().joined(separator: ", "))")
        }
    }
}

/// A failure a plugin reports to the host: an ABI status code and a message saying what is
/// wrong and what to change.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// SG_ERR_FAILED.
    public static let failed: Int32 = 1
    /// SG_ERR_INVALID_INPUT.
    public static let invalidInput: Int32 = 2
    /// SG_ERR_INVALID_CONFIG.
    public static let invalidConfig: Int32 = 3
    /// SG_ERR_CANCELLED.
    public static let cancelled: Int32 = 4

    public var code: Int32
    public var message: String

    /// A failure with `code` (non-zero; one of the constants above or your own) and `message`.
    public init(code: Int32 = NodeError.failed, message: String) {
        self.code = code == 0 ? NodeError.failed : code
        self.message = message
    }

    public var description: String { message }
}

/// A graph the plugin ships: IR v1 YAML text and a short name for messages.
public struct PluginGraph: Sendable {
    public var name: String
    public var yaml: String

    /// A graph named `name` (shown as `plugin:<plugin>/<name>`) with IR text `yaml`.
    public init(name: String, yaml: String) {
        self.name = name
        self.yaml = yaml
    }
}
