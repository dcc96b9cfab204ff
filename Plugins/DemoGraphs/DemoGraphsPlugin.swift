// The in-tree graph-only plugin "demo": no node kinds, one graph using the kinds of the
// Swift plugin (hello) and of the C plugin (text). The host validates it only after every
// plugin's kinds are registered, so load order in the manifest does not matter.
import PluginSDK

let greetAndShout = """
    # Greets `name` (hello.greet), shouts the greeting (text.shout), then stamps it (hello.stamp).
    ir_version: "1.0.0"
    id: "demo:greet-and-shout"
    nodes:
      - {id: greet, kind: hello.greet, config: {greeting: Hi}}
      - {id: copy, kind: template, config: {template: "{{greeting}}", output: message}}
      - {id: shout, kind: text.shout, config: {suffix: "!!"}}
      - {id: stamp, kind: hello.stamp}
      - {id: done, kind: halt}
    state_schema:
      name: {type: str, default: world}
      greeting: str
      message: str
      shout: str
      stamped_ms: int
      roll: int
      ticket: str
    """

@_cdecl("stargraph_plugin_v1")
public func stargraphPlugin() -> UnsafeRawPointer {
    PluginExport.descriptor(
        name: "demo", version: "1.0.0", kinds: [],
        graphs: [PluginGraph(name: "greet-and-shout", yaml: greetAndShout)])
}
