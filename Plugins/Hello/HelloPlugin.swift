// The in-tree Swift plugin "hello", written on the SDK: a pure kind (greet), a side-effecting
// kind that takes time, randomness and an id from the host (stamp), and a graph using both.
import PluginSDK

/// `hello.greet`: writes "<greeting>, <name>!" into `greeting`. Config: `greeting` (default "Hello").
struct Greet: NodeKindImpl {
    static let name = "greet"
    static let configSchema: String? = #"{"type":"object","properties":{"greeting":{"type":"string","minLength":1}},"additionalProperties":false}"#

    var greeting = "Hello"

    mutating func configure(_ config: [String: PluginValue]) throws {
        greeting = config["greeting"]?.stringValue ?? greeting
    }

    func run(_ input: [String: PluginValue], host: HostContext) throws -> [String: PluginValue] {
        guard let name = input["name"]?.stringValue else {
            throw NodeError(code: NodeError.invalidInput, message: "state field 'name' must be a string; declare `name: str` in state_schema and set it")
        }
        return ["greeting": .string("\(greeting), \(name)!")]
    }
}

/// `hello.stamp`: records when, a dice roll and a ticket id, all from the host so that the
/// values are recorded per step and replays reproduce them.
struct Stamp: NodeKindImpl {
    static let name = "stamp"
    static let effects = NodeEffects.sideEffecting

    func run(_ input: [String: PluginValue], host: HostContext) throws -> [String: PluginValue] {
        let now = try host.nowMillis()
        let roll = try host.random() % 6 + 1
        let ticket = try host.uuid()
        host.log(.debug, "stamped \(ticket) at \(now)")
        return ["stamped_ms": .number(Double(now)), "roll": .number(Double(roll)), "ticket": .string(ticket)]
    }
}

let helloGraph = """
    # Greets `name`, then stamps the greeting with the host's clock, randomness and an id.
    ir_version: "1.0.0"
    id: "hello:greet-and-stamp"
    nodes:
      - {id: greet, kind: hello.greet, config: {greeting: Hello}}
      - {id: stamp, kind: hello.stamp}
      - {id: done, kind: halt}
    state_schema:
      name: {type: str, default: world}
      greeting: str
      stamped_ms: int
      roll: int
      ticket: str
    """

@_cdecl("stargraph_plugin_v1")
public func stargraphPlugin() -> UnsafeRawPointer {
    PluginExport.descriptor(
        name: "hello", version: "1.0.0", kinds: [Greet.self, Stamp.self],
        graphs: [PluginGraph(name: "greet-and-stamp", yaml: helloGraph)])
}
