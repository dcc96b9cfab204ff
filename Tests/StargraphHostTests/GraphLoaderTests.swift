import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore

/// The built-in kind names plus one side-effecting plugin kind, as a real catalog would report.
private struct TestCatalog: NodeKindCatalog {
    static let builtins = ["echo", "passthrough", "halt", "template", "set", "interrupt", "delay", "fail", "write_artifact"]
    static let clockProvider = "test-plugin@1.2.0"

    func kindInfo(_ name: String) -> NodeKindInfo? {
        if name == "test.clock" { return NodeKindInfo(sideEffecting: true, provider: Self.clockProvider) }
        return Self.builtins.contains(name) ? NodeKindInfo(sideEffecting: false) : nil
    }

    var kindNames: [String] { Self.builtins + ["test.clock"] }
}

private let loader = GraphLoader(catalog: TestCatalog())

private func fixtureURL(_ directory: String, _ name: String) throws -> URL {
    let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return root.appendingPathComponent(directory).appendingPathComponent(name)
}

/// Loads `text`, returning the errors (or an empty list when it loads).
private func loadErrors(_ text: String) -> [GraphLoadError] {
    do {
        _ = try loader.load(text: text, sourceName: "test.yaml")
        return []
    } catch {
        return error.errors
    }
}

private let helloText = """
    ir_version: "1.0.0"
    id: "run:hello"
    nodes:
      - id: node_a
        kind: echo
      - id: node_b
        kind: halt
    state_schema:
      message: str
    rules:
      - id: r-advance
        when: "(initial-fact)"
        then:
          - kind: goto
            target: node_b
      - id: r-halt
        when: {node: node_b}
        then:
          - kind: halt
            reason: "hello example reached node_b"
    """

@Suite("GraphLoader")
struct GraphLoaderTests {
    // MARK: compat graphs

    @Test("the compat graphs load", arguments: [
        ("hello.yaml", "run:hello", 2, 2),
        ("pipeline.yaml", "run:pipeline", 3, 3),
        ("hitl-graph.yaml", "graph:cli-hitl-fixture", 2, 1),
    ])
    func compatGraphsLoad(file: String, id: String, nodeCount: Int, ruleCount: Int) throws {
        let path = try fixtureURL("graphs", file).path
        let graph = try loader.load(path: path)
        #expect(graph.id == id)
        #expect(graph.irVersion == "1.0.0")
        #expect(graph.nodes.count == nodeCount)
        #expect(graph.rules.count == ruleCount)
        #expect(graph.sourceName == path)
        #expect(graph.sourceText == (try String(contentsOfFile: path, encoding: .utf8)))
        #expect(graph.graphHash.hasPrefix("sha256:") && graph.graphHash.count == 7 + 64)
    }

    @Test func helloCompilesToTheExpectedIR() throws {
        let graph = try loader.load(path: try fixtureURL("graphs", "hello.yaml").path)
        #expect(graph.nodes == [NodeSpec(id: "node_a", kind: "echo"), NodeSpec(id: "node_b", kind: "halt")])
        #expect(graph.stateSchema == StateSchema(fields: [FieldSpec(name: "message", type: .str)]))
        #expect(graph.rules[0] == Rule(id: "r-advance", when: Condition(patterns: [Pattern(template: "initial-fact")]), then: [.goto(target: "node_b")]))
        let nodeB = Pattern(template: "node-id", slots: [SlotTest(slot: "id", test: .compare(.eq, "node_b"))])
        #expect(graph.rules[1] == Rule(id: "r-halt", when: Condition(patterns: [nodeB]), then: [.halt(reason: "hello example reached node_b")]))
    }

    @Test func hitlGraphCompilesInterruptThenGoto() throws {
        let graph = try loader.load(path: try fixtureURL("graphs", "hitl-graph.yaml").path)
        let rule = try #require(graph.rules.first)
        #expect(rule.when.patterns.first?.binding == "n")
        #expect(rule.then == [
            .interrupt(InterruptSpec(prompt: "What should I reply?", payload: ["example_question": "What is your favorite color?"])),
            .goto(target: "post"),
        ])
    }

    // MARK: graph_hash

    @Test func hashIgnoresCommentsWhitespaceAndKeyOrder() throws {
        let reference = try loader.load(text: helloText, sourceName: "a.yaml").graphHash
        let fixture = try loader.load(path: try fixtureURL("graphs", "hello.yaml").path).graphHash
        let reordered = """
            # a comment
            nodes:
              - kind: echo     # key order swapped
                id: node_a
              - {kind: halt, id: node_b}
            id: run:hello
            ir_version: '1.0.0'

            rules:
              - then: [{target: node_b, kind: goto}]
                when: "(initial-fact)"
                id: r-advance
              - id: r-halt
                description: documentation only
                when:
                  node: node_b
                then:
                  - {reason: hello example reached node_b, kind: halt}
            state_schema: {message: str}
            """
        #expect(fixture == reference)
        #expect(try loader.load(text: reordered, sourceName: "b.yaml").graphHash == reference)
    }

    @Test func hashChangesWithNodeOrderRulesConfigAndPlugins() throws {
        let reference = try loader.load(text: helloText, sourceName: "a.yaml").graphHash
        let swappedNodes = helloText.replacingOccurrences(
            of: "  - id: node_a\n    kind: echo\n  - id: node_b\n    kind: halt",
            with: "  - id: node_b\n    kind: halt\n  - id: node_a\n    kind: echo")
        let changedRule = helloText.replacingOccurrences(of: "reached node_b\"", with: "reached the end\"")
        let withConfig = helloText.replacingOccurrences(of: "    kind: echo\n", with: "    kind: echo\n    config: {prefix: x}\n")
        let withPlugin = helloText.replacingOccurrences(of: "    kind: echo\n", with: "    kind: test.clock\n")
        let variants = [swappedNodes, changedRule, withConfig, withPlugin]
        for variant in variants { #expect(variant != helloText) }
        let hashes = try variants.map { try loader.load(text: $0, sourceName: "v.yaml").graphHash }
        #expect(Set(hashes + [reference]).count == 5)
    }

    @Test func shortAndLongSchemaSpellingsHashTheSame() throws {
        let short = helloText
        let long = helloText.replacingOccurrences(of: "  message: str\n", with: "  message:\n    type: str\n")
        #expect(long != short)
        let shortGraph = try loader.load(text: short, sourceName: "s.yaml")
        let longGraph = try loader.load(text: long, sourceName: "l.yaml")
        #expect(shortGraph.stateSchema == longGraph.stateSchema)
        #expect(shortGraph.graphHash == longGraph.graphHash)
    }

    @Test func normalizedIRListsPluginsAndLongFormSchema() throws {
        let graph = try loader.load(text: helloText.replacingOccurrences(of: "    kind: echo\n", with: "    kind: test.clock\n"), sourceName: "p.yaml")
        let normalized = GraphNormalizer.normalizedIR(
            irMajor: 1, id: graph.id, nodes: graph.nodes, ruleSources: [], parallelSources: [],
            schema: graph.stateSchema, maxSteps: nil, catalog: TestCatalog())
        #expect(normalized["plugins"] == [.string(TestCatalog.clockProvider)])
        #expect(normalized["state_schema"] == ["message": ["type": "str"]])
        #expect(normalized["nodes"]?.arrayValue?.first == ["id": "node_a", "kind": "test.clock", "config": [:]])
    }

    // MARK: malformed graphs

    /// Each file in Fixtures/invalid: where the (first) error is and what its message says.
    static let invalidFixtures: [(file: String, line: Int, column: Int, message: String)] = [
        ("tab-indentation.yaml", 5, 1, "tab character"),
        ("duplicate-node-id.yaml", 6, 9, "duplicate node id 'a'"),
        ("duplicate-mapping-key.yaml", 6, 5, "duplicate key 'kind'"),
        ("unknown-top-level-key.yaml", 6, 1, "unknown key 'node_order' in the graph"),
        ("unknown-node-key.yaml", 6, 5, "unknown key 'confg' in a node (did you mean 'config'?)"),
        ("bad-node-id.yaml", 4, 9, "node id 'Node_A' is invalid"),
        ("goto-missing-node.yaml", 13, 17, "goto target 'node_c' is neither a node nor a parallel block"),
        ("bad-when-string.yaml", 8, 30, "cannot parse the when condition"),
        ("unknown-when-operator.yaml", 10, 20, "unknown operator 'gte' (did you mean 'ge'?)"),
        ("set-type.yaml", 8, 9, "type 'set' of state field 'tags' is not supported"),
        ("wrong-ir-major.yaml", 1, 13, "major version 2"),
        ("missing-ir-version.yaml", 2, 1, "missing the required key 'ir_version'"),
        ("empty.yaml", 1, 1, "the file holds no graph"),
        ("comments-only.yaml", 1, 1, "the file holds no graph"),
        ("top-level-list.yaml", 1, 1, "the top level must be a mapping"),
        ("unknown-node-kind.yaml", 5, 11, "unknown node kind 'ehco' (did you mean 'echo'?)"),
        ("bad-default.yaml", 7, 31, "default 1.5 does not fit type int"),
        ("reducer-mismatch.yaml", 9, 14, "reducer 'append' does not fit type str"),
        ("any-side-effecting.yaml", 16, 15, "'tick' (kind test.clock) is side-effecting"),
        ("unknown-action-kind.yaml", 10, 15, "unknown action kind 'jump'"),
        ("state-class.yaml", 3, 1, "'state_class' is not supported"),
        ("unclosed-quote.yaml", 6, 1, "never closed"),
        ("clips-unknown-node.yaml", 8, 31, "'post' is not a node of this graph"),
        ("quorum-too-large.yaml", 17, 19, "quorum:3 needs more successes than the block's 2 targets"),
        ("multiple-documents.yaml", 5, 1, "a second YAML document starts here"),
        ("infinite-number.yaml", 6, 21, "'.inf' is not a finite number"),
        ("undefined-alias.yaml", 6, 13, "alias '*defaults' refers to no anchor"),
        ("state-field-unknown-in-when.yaml", 10, 12, "'mesage' in when is not a declared state field (did you mean 'message'?)"),
        ("on-timeout-missing-node.yaml", 13, 27, "on_timeout target 'b' is not a node"),
    ]

    @Test("malformed graphs fail at the offending line:column", arguments: invalidFixtures)
    func malformedGraphFails(file: String, line: Int, column: Int, message: String) throws {
        let path = try fixtureURL("invalid", file).path
        let failure = #expect(throws: GraphLoadErrors.self) { try loader.load(path: path) }
        let first = try #require(failure?.errors.first)
        #expect("\(first.line):\(first.column)" == "\(line):\(column)", "\(first)")
        #expect(first.message.contains(message), "\(first)")
        #expect(first.file == path)
        #expect(failure?.description.hasPrefix("\(path):\(line):\(column): ") == true)
    }

    @Test func everyInvalidFixtureIsCovered() throws {
        let directory = try fixtureURL("invalid", "")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(Self.invalidFixtures.map(\.file)))
        #expect(files.count >= 15)
    }

    @Test func allErrorsOfAFileAreReportedInSourceOrder() {
        let errors = loadErrors("""
            ir_version: "1.0.0"
            id: ""
            nodes:
              - id: A
                kind: nope
            state_schema:
              n: {type: float, reducer: merge}
            rules:
              - id: r
                when: {node: zz}
                then: []
            """)
        #expect(errors.map { "\($0.line):\($0.column)" } == ["2:5", "4:9", "5:11", "7:29", "10:18", "11:11"])
    }

    @Test("graph ids are checked like node ids (with ':' and uppercase), at their position")
    func graphIdsAreValidated() {
        for bad in ["has space", "../../etc", "a/b", ":lead", String(repeating: "x", count: 200_000)] {
            let errors = loadErrors("ir_version: \"1.0.0\"\nid: \"\(bad)\"\nnodes: [{id: a, kind: echo}]\n")
            #expect(errors.map { "\($0.line):\($0.column)" } == ["2:5"], "\(bad.prefix(20))")
            #expect(errors.first?.message.contains("the graph id") == true)
            #expect((errors.first?.message.count ?? 0) < 400, "a huge id is not echoed whole")
        }
        for good in ["run:hello", "Team:Triage-2", "a.b_c"] {
            #expect(loadErrors("ir_version: \"1.0.0\"\nid: \"\(good)\"\nnodes: [{id: a, kind: echo}]\n").isEmpty, "\(good)")
        }
    }

    @Test("a slot the host's facts never have is refused at its position (it would never match)")
    func unknownSlotsOfHostTemplates() {
        let graph = { (when: String) in
            "ir_version: \"1.0.0\"\nid: g\nnodes: [{id: a, kind: echo}]\nrules:\n  - {id: r, when: \"\(when)\", then: [{kind: halt}]}\n"
        }
        let misspelt = loadErrors(graph("(node-id (idz a))"))
        #expect(misspelt.map { "\($0.line):\($0.column)" } == ["5:30"])
        #expect(misspelt.first?.message.contains("did you mean 'id'?") == true)
        #expect(loadErrors(graph("(initial-fact (x 1))")).first?.message.contains("it has no slots") == true)
        #expect(loadErrors(graph("(node-id (id a))")).isEmpty)
    }

    @Test("a folder or a missing file is named as such, not as a Foundation error code")
    func unreadableGraphFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-unreadable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (path, reason) in [(folder.path, "it is a folder, not a file"), (folder.path + "/missing.yaml", "there is no such file")] {
            let error = #expect(throws: GraphLoadErrors.self) { _ = try loader.load(path: path) }
            #expect(error?.errors.first?.message.contains(reason) == true, "\(String(describing: error))")
            #expect(error.map { "\($0)" }?.contains("NSCocoaErrorDomain") == false)
        }
    }

    @Test("durations beyond 30 days are refused at their position, not trapped on at run time")
    func durationsAreBounded() {
        let errors = loadErrors("""
            ir_version: "1.0.0"
            id: g
            nodes: [{id: a, kind: passthrough}]
            rules:
              - id: r
                when: {node: a}
                then:
                  - {kind: retry, target: a, backoff_ms: 9007199254740991}
              - id: s
                when: {node: a}
                then: [{kind: interrupt, prompt: p, timeout: 99999999999.5}]
            """)
        #expect(errors.map { "\($0.line):\($0.column)" } == ["8:46", "11:50"])
        #expect(errors.first?.message.contains("backoff_ms must be at most 2592000000 (30 days)") == true)
        #expect(errors.last?.message.contains("at most 2592000 (30 days)") == true)
        #expect(loadErrors("""
            ir_version: "1.0.0"
            id: g
            nodes: [{id: a, kind: passthrough}]
            rules: [{id: r, when: {node: a}, then: [{kind: retry, target: a, backoff_ms: 2592000000}]}]
            """).isEmpty, "the limit itself is allowed")
    }

    @Test func aHopelessFileReportsAtMostAHundredErrorsPlusASummary() {
        let errors = loadErrors("ir_version: \"1.0.0\"\nid: g\nnodes:\n" + String(repeating: "  - 42\n", count: 300))
        #expect(errors.count == LoadDiagnostics.maxErrors + 1)
        #expect(errors.last?.message.hasPrefix("200 more errors from here on not shown") == true)
        #expect(errors.last.map { "\($0.line):\($0.column)" } == "104:5")
    }

    // MARK: conditions and actions

    @Test func mappingConditionCompilesToPatterns() throws {
        let graph = try loader.load(text: """
            ir_version: "1.0.0"
            id: g
            nodes: [{id: a, kind: echo}, {id: b, kind: echo}, {id: c, kind: halt}]
            state_schema:
              count: {type: int, default: 0, reducer: sum}
              status: str
              tags: {type: list, default: [], reducer: append}
            rules:
              - id: r
                when:
                  count: {gt: 3, le: 10}
                  node: a
                  status: open
                  fact: {ticket: {id: 7, level: {in: [1, 2]}}}
                  tags: {contains: urgent, exists: true}
                then:
                  - {kind: assert, fact: seen, slots: {by: r}}
                  - {kind: retract, pattern: "(ticket (id 7))"}
                  - {kind: retract, pattern: {ticket: {id: 8}}}
                  - {kind: retry, target: b, backoff_ms: 50}
                  - {kind: parallel, targets: [a, b], join: c, strategy: quorum:1}
            """, sourceName: "conditions.yaml")
        let rule = try #require(graph.rules.first)
        #expect(rule.when.patterns == [
            Pattern(template: "state", slots: [
                SlotTest(slot: "count", test: .compare(.gt, 3)), SlotTest(slot: "count", test: .compare(.le, 10)),
                SlotTest(slot: "status", test: .compare(.eq, "open")),
                SlotTest(slot: "tags", test: .contains("urgent")), SlotTest(slot: "tags", test: .exists(true)),
            ]),
            Pattern(template: "node-id", slots: [SlotTest(slot: "id", test: .compare(.eq, "a"))]),
            Pattern(template: "ticket", slots: [SlotTest(slot: "id", test: .compare(.eq, 7)), SlotTest(slot: "level", test: .oneOf([1, 2]))]),
        ])
        #expect(rule.then[0] == .assert(Fact(template: "seen", slots: ["by": "r"])))
        #expect(rule.then[2] == .retract(Pattern(template: "ticket", slots: [SlotTest(slot: "id", test: .compare(.eq, 8))])))
        #expect(rule.then[3] == .retry(target: "b", backoffMs: 50, maxAttempts: 3))
        #expect(rule.then[4] == .parallel(ParallelSpec(targets: ["a", "b"], join: "c", strategy: .quorum(1))))
        #expect(graph.stateSchema.field("count") == FieldSpec(name: "count", type: .int, defaultValue: 0, reducer: .sum))
    }

    @Test func gotoMayTargetADeclaredParallelBlock() throws {
        let graph = try loader.load(text: """
            ir_version: "1.0.0"
            id: g
            max_steps: 50
            nodes: [{id: a, kind: echo}, {id: b, kind: echo}, {id: j, kind: halt}]
            parallel:
              - {id: fan, targets: [a, b], join: j, strategy: race}
            rules:
              - {id: r, when: "(initial-fact)", then: [{kind: goto, target: fan}]}
            """, sourceName: "parallel.yaml")
        #expect(graph.parallelBlock("fan") == ParallelSpec(id: "fan", targets: ["a", "b"], join: "j", strategy: .race))
        #expect(graph.rules.first?.then == [.goto(target: "fan")])
        #expect(graph.maxSteps == 50)
    }

    @Test func sideEffectingBranchesAreRejectedForAnyInRuleActionsToo() {
        let errors = loadErrors("""
            ir_version: "1.0.0"
            id: g
            nodes: [{id: a, kind: test.clock}, {id: b, kind: echo}, {id: j, kind: halt}]
            rules:
              - id: r
                when: "(initial-fact)"
                then: [{kind: parallel, targets: [a, b], join: j, strategy: any}]
            """)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("side-effecting") == true)
    }

    // MARK: robustness

    @Test("odd documents fail cleanly", arguments: [
        ("just text", "the top level must be a mapping"),
        ("- a\n- b\n", "the top level must be a mapping"),
        ("42", "the top level must be a mapping"),
        ("---\n", "the file holds no graph"),
        ("a: \u{0}\n", "not valid YAML input"),
        ("!!python/object:os.system {}", "unsupported YAML tag '!!python/object:os.system'"),
        ("ir_version: 1.0.0\nid: 12345678901234567890\n", "beyond ±2^53"),
    ])
    func oddDocumentsFail(text: String, message: String) {
        let errors = loadErrors(text)
        #expect(errors.first?.message.contains(message) == true, "\(errors)")
    }

    @Test func deeplyNestedFlowCollectionsFailWithoutCrashing() {
        let depth = 100_000
        let errors = loadErrors("nodes: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        #expect(errors.first?.message.contains("nesting is deeper than") == true, "\(errors.prefix(1))")
    }

    @Test func aliasBombsAreStopped() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 { text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let errors = loadErrors(text)
        #expect(errors.first?.message.contains("expands to more than 1000000 nodes") == true, "\(errors.prefix(1))")
        #expect(errors.first?.message.contains("aliases copy") == true, "\(errors.prefix(1))")
    }

    @Test("a file with over a million nodes and no alias is refused for its size, not its aliases")
    func hugeDocumentsWithoutAliasesBlameTheirSize() {
        let text = "nodes: [" + Array(repeating: "0", count: YAMLParser.maxExpandedNodes).joined(separator: ",") + "]\n"
        let errors = loadErrors(text)
        #expect(errors.first?.message.contains("the document has more than 1000000 nodes") == true, "\(errors.prefix(1))")
        #expect(errors.first?.message.contains("alias") == false, "\(errors.prefix(1))")
    }

    @Test func binaryGarbageAndMissingFilesFailWithOneError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graph-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SystemRandomNumberGenerator()
        let garbage = directory.appendingPathComponent("garbage.yaml")
        try Data(Array("id: x\n".utf8) + [0xFF, 0xFE] + (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: garbage)
        let garbageFailure = #expect(throws: GraphLoadErrors.self) { try loader.load(path: garbage.path) }
        #expect(garbageFailure?.errors.map { "\($0.line):\($0.column)" } == ["2:1"])
        let missing = directory.appendingPathComponent("missing.yaml").path
        let missingFailure = #expect(throws: GraphLoadErrors.self) { try loader.load(path: missing) }
        #expect(missingFailure?.errors.count == 1)
        #expect(missingFailure?.errors.first?.message.contains(missing) == true)
    }

    @Test func anchorsAreCopiedAndPlainScalarsFollowTheCoreSchema() throws {
        let root = try #require(try YAMLParser.parse("""
            base: &base
              retries: 3
              ratio: 0.5
              hex: 0x1F
              octal: 0o17
              none: ~
              empty:
              flag: True
              quoted: "true"
              big: 1e3
            copy: *base
            forced: !!str 12
            """, sourceName: "core.yaml"))
        let json = root.toJSON()
        let expected: JSONValue = ["retries": 3, "ratio": 0.5, "hex": 31, "octal": 15, "none": nil, "empty": nil, "flag": true, "quoted": "true", "big": 1000]
        #expect(json["base"] == expected)
        #expect(json["copy"] == expected)
        #expect(json["forced"] == "12")
        #expect(try YAMLParser.parse("# nothing\n", sourceName: "empty.yaml") == nil)
    }
}
