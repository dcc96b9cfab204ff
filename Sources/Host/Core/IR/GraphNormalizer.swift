/// Builds the normalised IR whose canonical JSON is hashed into ``GraphIR/graphHash``.
///
/// It holds everything that changes execution and nothing else: comments, whitespace, key
/// order, descriptions and the short/long spelling of state fields do not change it; node
/// order, configs, rules, parallel blocks, the schema and the providing plugins' versions do.
enum GraphNormalizer {
    /// The normalised IR as a JSON object:
    /// `{ir_version: major, id, nodes: [{id, kind, config}], rules: [rule as written, minus
    /// description], parallel: [block as written], state_schema: {field: {type, default?,
    /// reducer?}}, max_steps?, rule_packs?: {version: [rule]}, plugins: [sorted unique name@version]}`.
    static func normalizedIR(
        irMajor: Int, id: String, nodes: [NodeSpec], ruleSources: [YAMLNode], parallelSources: [YAMLNode],
        schema: StateSchema, maxSteps: Int?, rulePackSources: [String: [YAMLNode]] = [:], catalog: any NodeKindCatalog
    ) -> JSONValue {
        var members: [String: JSONValue] = [
            "ir_version": .number(Double(irMajor)),
            "id": .string(id),
            "nodes": .array(nodes.map { .object(["id": .string($0.id), "kind": .string($0.kind), "config": $0.config]) }),
            "rules": .array(ruleSources.map(rule)),
            "parallel": .array(parallelSources.map { $0.toJSON() }),
            "state_schema": stateSchema(schema),
            "plugins": .array(Set(nodes.compactMap { catalog.kindInfo($0.kind)?.provider }).sorted().map { .string($0) }),
        ]
        if let maxSteps { members["max_steps"] = .number(Double(maxSteps)) }
        if !rulePackSources.isEmpty {
            members["rule_packs"] = .object(rulePackSources.mapValues { .array($0.map(rule)) })
        }
        return .object(members)
    }

    /// A rule as written, without its documentation-only `description`.
    private static func rule(_ source: YAMLNode) -> JSONValue {
        guard case .object(var members) = source.toJSON() else { return source.toJSON() }
        members["description"] = nil
        return .object(members)
    }

    /// The schema in long form, so `f: str` and `f: {type: str}` normalise alike.
    private static func stateSchema(_ schema: StateSchema) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for field in schema.fields {
            var spec: [String: JSONValue] = ["type": .string(field.type.rawValue)]
            if let defaultValue = field.defaultValue { spec["default"] = defaultValue }
            if let reducer = field.reducer { spec["reducer"] = .string(reducer.rawValue) }
            fields[field.name] = .object(spec)
        }
        return .object(fields)
    }
}
