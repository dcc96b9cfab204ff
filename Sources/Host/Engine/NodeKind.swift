import Logging
import StargraphCore

/// A node implementation the engine can instantiate: a built-in kind, or one a plugin
/// provides. Registered in a ``NodeKindRegistry`` under its ``name``.
public protocol NodeKind: Sendable {
    /// The name graphs use in `kind:` (`echo`, or `<plugin>.<kind>` for plugin kinds).
    var name: String { get }
    /// Whether the kind has side effects (replays serve it from the recording) and who provides it.
    var info: NodeKindInfo { get }
    /// `true` when the kind must never be entered twice at once.
    var isSerial: Bool { get }
    /// Builds the node for one graph node, checking its `config`. Throw a ``NodeConfigError``
    /// naming the problem; the graph is then refused before any run starts.
    func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance
}

extension NodeKind {
    public var isSerial: Bool { false }
}

/// One configured node, ready to run. Instances are shared by concurrent runs.
public protocol NodeInstance: Sendable {
    /// Runs the node on `state` (the run's whole state object) and returns its patch.
    /// Throw ``NodeFailure`` (or any error) to fail the run at this step.
    func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult
}

/// What a node returns: a state patch, and optionally a control request.
public struct NodeResult: Sendable, Hashable {
    public var patch: [String: JSONValue]
    public var control: NodeControl?

    public init(patch: [String: JSONValue] = [:], control: NodeControl? = nil) {
        self.patch = patch
        self.control = control
    }
}

/// A routing request from a node itself (the `halt` and `interrupt` kinds).
public enum NodeControl: Sendable, Hashable {
    case halt(reason: String?)
    case interrupt(InterruptSpec)
}

/// A node's own failure: fails the run with `errorClass` and `message`.
public struct NodeFailure: Error, Sendable, CustomStringConvertible {
    public var errorClass: String
    public var message: String

    public init(errorClass: String, message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String { "\(errorClass): \(message)" }
}

/// A node's `config` does not fit its kind.
public struct NodeConfigError: Error, Sendable, CustomStringConvertible {
    public var nodeId: String
    public var kind: String
    public var message: String
    /// Where the node's config is written, once the compiler knows it.
    public var mark: SourceMark?

    public init(nodeId: String, kind: String, message: String) {
        self.nodeId = nodeId
        self.kind = kind
        self.message = message
    }

    public var description: String { "node '\(nodeId)' (kind \(kind)): \(message)" }
}

/// What the host hands a node for one invocation.
public struct NodeContext: Sendable {
    public var runId: String
    public var nodeId: String
    public var step: Int
    /// Time, randomness and ids for the node, recorded per step for replay.
    public var host: HostEffects
    public var logger: Logger

    public init(runId: String, nodeId: String, step: Int, host: HostEffects, logger: Logger) {
        self.runId = runId
        self.nodeId = nodeId
        self.step = step
        self.host = host
        self.logger = logger
    }

    /// Whether the run has been asked to stop; long nodes should check it and return.
    public var isCancelled: Bool { Task.isCancelled }
}
