import Foundation
import StargraphCore

/// The node kinds every host has. All are pure except `delay`, which only
/// waits. Each checks its `config` when a graph is compiled.
package enum BuiltinNodeKinds {
    package static let all: [any NodeKind] = [
        BuiltinKind(name: "echo", make: makeEcho),
        BuiltinKind(name: "passthrough", make: makePassthrough),
        BuiltinKind(name: "halt", make: makeHalt),
        BuiltinKind(name: "template", make: makeTemplate),
        BuiltinKind(name: "set", make: makeSet),
        BuiltinKind(name: "interrupt", make: makeInterrupt),
        BuiltinKind(name: "delay", make: makeDelay),
        BuiltinKind(name: "fail", make: makeFail),
    ]

    /// `echo`: returns the listed fields (`config.fields`, default `[message]`) unchanged.
    package static func makeEcho(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let config = try NodeConfig(spec).allowOnly(["fields"])
        let fields = try config.stringList("fields") ?? ["message"]
        for field in fields where spec.config["fields"] != nil {
            try config.requireField(field, in: schema, key: "fields")
        }
        return ClosureNode { state, _ in
            NodeResult(patch: state.filter { fields.contains($0.key) })
        }
    }

    /// `passthrough`: changes nothing.
    package static func makePassthrough(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        _ = try NodeConfig(spec).allowOnly([])
        return ClosureNode { _, _ in NodeResult() }
    }

    /// `halt`: ends the run after it executes (`config.reason` is recorded).
    package static func makeHalt(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let reason = try NodeConfig(spec).allowOnly(["reason"]).string("reason")
        return ClosureNode { _, _ in NodeResult(control: .halt(reason: reason)) }
    }

    /// `template`: renders `config.template`, replacing `{{field}}` with the field's text,
    /// into `config.output`.
    package static func makeTemplate(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let config = try NodeConfig(spec).allowOnly(["template", "output"])
        let template = try config.requiredString("template")
        let output = try config.requiredString("output")
        try config.requireField(output, in: schema, key: "output")
        guard schema.field(output)?.type == .str else { throw config.error("config 'output' must name a str field") }
        let rendering = try TemplateText(template, fields: Set(schema.fields.map(\.name)), config: config)
        return ClosureNode { state, _ in NodeResult(patch: [output: .string(rendering.render(state))]) }
    }

    /// `set`: writes the literal `config.values` (field → value) into state.
    package static func makeSet(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let config = try NodeConfig(spec).allowOnly(["values"])
        let values = try config.object("values") ?? [:]
        for (field, value) in values {
            try config.requireField(field, in: schema, key: "values")
            guard let type = schema.field(field)?.type, type.accepts(value) else {
                throw config.error("config 'values.\(field)' is not a valid \(schema.field(field)?.type.rawValue ?? "value")")
            }
        }
        return ClosureNode { _, _ in NodeResult(patch: values) }
    }

    /// `interrupt`: suspends the run as `awaiting_input` with `config.prompt` and `config.payload`.
    package static func makeInterrupt(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let config = try NodeConfig(spec).allowOnly(["prompt", "payload", "timeout", "on_timeout"])
        let onTimeout = try config.string("on_timeout") ?? "halt"
        let action: InterruptSpec.TimeoutAction
        if onTimeout == "halt" {
            action = .halt
        } else if onTimeout.hasPrefix("goto:") {
            action = .goto(String(onTimeout.dropFirst(5)))
        } else {
            throw config.error("config 'on_timeout' must be 'halt' or 'goto:<node>'")
        }
        let interrupt = InterruptSpec(
            prompt: try config.string("prompt") ?? "input required",
            payload: spec.config["payload"] ?? .null,
            timeoutSeconds: try config.duration("timeout", unit: .seconds),
            onTimeout: action)
        return ClosureNode { _, _ in NodeResult(control: .interrupt(interrupt)) }
    }

    /// `delay`: waits `config.ms` milliseconds, returning early when the run is cancelled.
    package static func makeDelay(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let millis = try NodeConfig(spec).allowOnly(["ms"]).duration("ms", unit: .milliseconds) ?? 0
        return ClosureNode { _, _ in
            try? await Task.sleep(for: .milliseconds(millis))
            return NodeResult()
        }
    }

    /// `fail`: fails the run with `config.error_class` (default `NodeFailure`) and `config.message`.
    package static func makeFail(_ spec: NodeSpec, _ schema: StateSchema) throws -> any NodeInstance {
        let config = try NodeConfig(spec).allowOnly(["error_class", "message"])
        let failure = NodeFailure(
            errorClass: try config.string("error_class") ?? "NodeFailure",
            message: try config.string("message") ?? "node \(spec.id) failed as configured")
        return ClosureNode { _, _ in throw failure }
    }
}

/// A built-in kind: a name and a function that builds its nodes.
package struct BuiltinKind: NodeKind {
    package let name: String
    package let make: @Sendable (NodeSpec, StateSchema) throws -> any NodeInstance

    package var info: NodeKindInfo { NodeKindInfo(sideEffecting: false, provider: nil) }

    package func makeNode(_ spec: NodeSpec, schema: StateSchema) throws -> any NodeInstance {
        try make(spec, schema)
    }
}

/// A node whose behaviour is one closure.
package struct ClosureNode: NodeInstance {
    package let body: @Sendable ([String: JSONValue], NodeContext) async throws -> NodeResult

    package func invoke(state: [String: JSONValue], context: NodeContext) async throws -> NodeResult {
        try await body(state, context)
    }
}

/// A `{{field}}` template, split once at compile time.
package struct TemplateText: Sendable {
    private enum Piece: Sendable { case text(String), field(String) }
    private let pieces: [Piece]

    package init(_ template: String, fields: Set<String>, config: NodeConfig) throws {
        var pieces: [Piece] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            pieces.append(.text(String(rest[..<open.lowerBound])))
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw config.error("config 'template' has '{{' without a closing '}}'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard fields.contains(name) else {
                throw config.error("config 'template' uses {{\(name)}}, which is not in state_schema")
            }
            pieces.append(.field(name))
            rest = rest[close.upperBound...]
        }
        pieces.append(.text(String(rest)))
        self.pieces = pieces
    }

    package func render(_ state: [String: JSONValue]) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .field(let name):
                switch state[name] {
                case nil, .null: return ""
                case .string(let text): return text
                case let value?: return CanonicalJSON.encode(value)
                }
            }
        }.joined()
    }
}
