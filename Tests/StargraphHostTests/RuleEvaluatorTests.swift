import Testing
@testable import StargraphHost
@testable import StargraphCore

@Suite("Rule evaluation and routing decisions")
struct RuleEvaluatorTests {
    /// A rule whose `when` is CLIPS text.
    private func rule(_ id: String, _ when: String, _ then: [Action]) throws -> Rule {
        Rule(id: id, when: try ClipsParser.parseCondition(when), then: then)
    }

    /// The mapping form `{node: X}` built by hand.
    private func nodeRule(_ id: String, node: String, _ then: [Action]) -> Rule {
        let pattern = Pattern(template: "node-id", slots: [SlotTest(slot: "id", test: .compare(.eq, .string(node)))])
        return Rule(id: id, when: Condition(patterns: [pattern]), then: then)
    }

    private func input(
        node: String, first: Bool = false, state: [String: JSONValue] = ["message": "hello"], facts: [Fact] = []
    ) -> EvaluationInput {
        EvaluationInput(facts: facts, state: state, currentNode: node, isFirstEvaluation: first)
    }

    private func fires(_ when: String, state: [String: JSONValue] = [:], facts: [Fact] = []) throws -> Bool {
        let evaluator = RuleEvaluator(rules: [try rule("r", when, [])])
        return !evaluator.evaluate(input(node: "n", state: state, facts: facts)).fired.isEmpty
    }

    private func fires(_ test: SlotTest.Test, slot: String = "score", state: [String: JSONValue]) -> Bool {
        let pattern = Pattern(template: "state", slots: [SlotTest(slot: slot, test: test)])
        let evaluator = RuleEvaluator(rules: [Rule(id: "r", when: Condition(patterns: [pattern]), then: [])])
        return evaluator.evaluate(input(node: "n", state: state)).fired == ["r"]
    }

    @Test func helloInitialFactOnlyOnFirstEvaluation() throws {
        let evaluator = RuleEvaluator(rules: [
            try rule("r-advance", "(initial-fact)", [.goto(target: "node_b")]),
            nodeRule("r-halt", node: "node_b", [.halt(reason: "hello example reached node_b")]),
        ])
        let first = evaluator.evaluate(input(node: "node_a", first: true))
        #expect(first == RuleEvaluation(facts: [], fired: ["r-advance"], decision: .goto(target: "node_b", rule: "r-advance")))
        let second = evaluator.evaluate(input(node: "node_b"))
        #expect(second.fired == ["r-halt"])
        #expect(second.decision == .halt(reason: "hello example reached node_b", rule: "r-halt"))
        let again = evaluator.evaluate(input(node: "node_a"))
        #expect(again.fired.isEmpty)
        #expect(again.decision == .continue)
    }

    @Test func onlyTemplatesSomeConditionNamesAreMirrored() throws {
        let evaluator = RuleEvaluator(rules: [
            try rule("score", "(score (value 3))", []), nodeRule("at-b", node: "b", []),
        ])
        let mirrored = evaluator.mirroredFacts(for: input(node: "b", first: true, state: ["score": 3, "message": "hi"]))
        #expect(Set(mirrored.map(\.template)) == ["score", "node-id"])
        // Field facts of templates no rule names cannot change what fires.
        #expect(evaluator.evaluate(input(node: "b", state: ["score": 3, "message": "hi"])).fired == ["score", "at-b"])
        #expect(evaluator.evaluate(input(node: "a", state: ["score": 0])).fired.isEmpty)
    }

    @Test func pipelineHopsSeeOnlyTheCurrentNode() throws {
        let evaluator = RuleEvaluator(rules: [
            try rule("r-a-to-b", "(initial-fact)", [.goto(target: "node_b")]),
            try rule("r-b-to-c", "(node-id (id node_b))", [.goto(target: "node_c")]),
            nodeRule("r-halt", node: "node_c", [.halt(reason: "pipeline example reached node_c")]),
        ])
        let hops = [("node_a", true), ("node_b", false), ("node_c", false)].map { node, first in
            evaluator.evaluate(input(node: node, first: first)).decision
        }
        #expect(hops == [
            .goto(target: "node_b", rule: "r-a-to-b"),
            .goto(target: "node_c", rule: "r-b-to-c"),
            .halt(reason: "pipeline example reached node_c", rule: "r-halt"),
        ])
    }

    @Test func hitlInterruptCarriesTheGotoOfTheSameRule() throws {
        let spec = InterruptSpec(prompt: "What should I reply?", payload: ["example_question": "What is your favorite color?"])
        let evaluator = RuleEvaluator(rules: [
            try rule("ask-after-pre", "?n <- (node-id (id pre))", [.interrupt(spec), .goto(target: "post")]),
        ])
        let afterPre = evaluator.evaluate(input(node: "pre", first: true, state: ["message": "hello", "reply": nil]))
        #expect(afterPre.decision == .interrupt(spec, rule: "ask-after-pre", then: .goto(target: "post", rule: "ask-after-pre")))
        #expect(evaluator.evaluate(input(node: "post")).decision == .continue)
    }

    @Test func precedenceAcrossRulesFirstDeclaredWins() throws {
        let parallel = ParallelSpec(targets: ["x", "y"], join: "z", strategy: .all)
        let interrupt = InterruptSpec(prompt: "ok?")
        func decide(_ actions: [(String, Action)]) throws -> RoutingDecision {
            let rules = try actions.map { id, action in try rule(id, "(initial-fact)", [action]) }
            return RuleEvaluator(rules: rules).evaluate(input(node: "a", first: true)).decision
        }
        let retry = Action.retry(target: "a", backoffMs: 100, maxAttempts: 3)
        #expect(try decide([("g1", .goto(target: "b")), ("h1", .halt(reason: nil)), ("h2", .halt(reason: "late"))])
            == .halt(reason: nil, rule: "h1"))
        #expect(try decide([("p1", .parallel(parallel)), ("g1", .goto(target: "b")), ("g2", .goto(target: "c"))])
            == .goto(target: "b", rule: "g1"))
        #expect(try decide([("r1", retry), ("g1", .goto(target: "b"))])
            == .retry(target: "a", backoffMs: 100, maxAttempts: 3, rule: "r1"))
        #expect(try decide([("p1", .parallel(parallel)), ("s1", .assert(Fact(template: "seen")))])
            == .parallel(parallel, rule: "p1"))
        #expect(try decide([("s1", .assert(Fact(template: "seen")))]) == .continue)
        #expect(try decide([("h1", .halt(reason: "stop")), ("i1", .interrupt(interrupt)), ("i2", .interrupt(InterruptSpec(prompt: "2nd")))])
            == .interrupt(interrupt, rule: "i1", then: .halt(reason: "stop", rule: "h1")))
        #expect(try decide([("i1", .interrupt(interrupt))]) == .interrupt(interrupt, rule: "i1", then: .continue))
    }

    @Test func assertAndRetractApplyInDeclarationOrderWithoutDuplicates() throws {
        let flag = Fact(template: "flag", slots: ["on": true])
        let asserting = try rule("assert-flag", "(initial-fact)", [.assert(flag), .assert(flag)])
        let retracting = try rule("retract-flag", "(initial-fact)", [.retract(try ClipsParser.parsePattern("(flag)"))])
        let watching = try rule("sees-flag", "(flag (on true))", [.halt(reason: nil)])

        let assertThenRetract = RuleEvaluator(rules: [asserting, retracting, watching]).evaluate(input(node: "a", first: true))
        #expect(assertThenRetract.facts.isEmpty)
        #expect(assertThenRetract.fired == ["assert-flag", "retract-flag"])

        let retractThenAssert = RuleEvaluator(rules: [retracting, asserting, watching])
            .evaluate(input(node: "a", first: true, facts: [flag]))
        #expect(retractThenAssert.facts == [flag])
        #expect(retractThenAssert.fired == ["retract-flag", "assert-flag", "sees-flag"])

        let other = Fact(template: "other")
        let kept = RuleEvaluator(rules: [asserting]).evaluate(input(node: "a", first: true, facts: [other, flag]))
        #expect(kept.facts == [other, flag])
    }

    @Test func retractUsesItsPatternAloneAndNeverTouchesMirroredFacts() throws {
        let facts = [Fact(template: "pair", slots: ["a": 1, "b": 1]), Fact(template: "pair", slots: ["a": 1, "b": 2])]
        let evaluator = RuleEvaluator(rules: [
            try rule("clean", "(initial-fact)", [
                .retract(try ClipsParser.parsePattern("(pair (a ?x) (b ?x))")),
                .retract(try ClipsParser.parsePattern("(node-id)")),
            ]),
        ])
        let result = evaluator.evaluate(input(node: "a", first: true, facts: facts))
        #expect(result.facts == [facts[1]])
    }

    @Test func variablesUnifyAcrossPatterns() throws {
        let when = "(person (name ?who) (team ?t)) (team (id ?t) (lead ?boss)) (state (owner ?boss))"
        let person = Fact(template: "person", slots: ["name": "ann", "team": "red"])
        let red = Fact(template: "team", slots: ["id": "red", "lead": "bob"])
        let blue = Fact(template: "team", slots: ["id": "blue", "lead": "cy"])
        #expect(try fires(when, state: ["owner": "bob"], facts: [blue, person, red]))
        #expect(try !fires(when, state: ["owner": "cy"], facts: [blue, person, red]))
        #expect(try !fires(when, state: ["owner": "bob"], facts: [blue, person]))
    }

    @Test func negationUsesCurrentBindings() throws {
        let when = "(person (name ?n)) (not (banned (name ?n)))"
        let ann = Fact(template: "person", slots: ["name": "ann"])
        let bob = Fact(template: "person", slots: ["name": "bob"])
        let banned = { (name: JSONValue) in Fact(template: "banned", slots: ["name": name]) }
        #expect(try fires(when, facts: [ann, bob, banned("ann")]))
        #expect(try !fires(when, facts: [ann, bob, banned("ann"), banned("bob")]))
        #expect(try fires("(node-id (id n)) (not (blocked))", facts: [ann]))
        #expect(try !fires("(node-id (id n)) (not (blocked))", facts: [Fact(template: "blocked")]))
    }

    @Test func textComparisonRendersValuesLikeClips() throws {
        let state: [String: JSONValue] = ["count": 3.0, "ratio": 0.5, "ok": true, "off": false, "reply": nil, "tags": ["a", "b"], "code": "3.0"]
        #expect(try fires("(count (value 3))", state: state))
        #expect(try fires("(state (count 3.0|4))", state: state))
        #expect(try fires("(ratio (value \"0.5\"))", state: state))
        #expect(try fires("(state (ok TRUE)) (state (ok true)) (state (off FALSE))", state: state))
        #expect(try fires("(state (reply nil)) (state (missing nil))", state: state))
        #expect(try fires(#"(tags (value "[\"a\",\"b\"]"))"#, state: state))
        #expect(try fires("(state (code \"3.0\"))", state: state))
        #expect(try !fires("(state (code 3))", state: state))
        #expect(try !fires("(state (ok True))", state: state))
        #expect(try !fires("(message (value \"hello\"))", state: state))
    }

    @Test func mappingFormComparisons() {
        #expect(fires(.compare(.gt, 0.8), state: ["score": 0.9]))
        #expect(!fires(.compare(.gt, 0.8), state: ["score": 0.5]))
        #expect(fires(.compare(.le, 0.5), state: ["score": 0.5]))
        #expect(!fires(.compare(.gt, 0.8), state: ["score": "0.9"]))
        #expect(fires(.compare(.ge, "b"), state: ["score": "c"]))
        #expect(!fires(.compare(.lt, "b"), state: ["score": "c"]))
        #expect(fires(.compare(.eq, 3), state: ["score": 3.0]))
        #expect(fires(.compare(.ne, "x"), state: [:]))
        #expect(fires(.oneOf(["low", "high"]), state: ["score": "high"]))
        #expect(!fires(.oneOf(["low", "high"]), state: ["score": "mid"]))
        #expect(fires(.contains("ell"), state: ["score": "hello"]))
        #expect(fires(.contains(2), state: ["score": [1, 2]]))
        #expect(!fires(.contains("2"), state: ["score": [1, 2]]))
        #expect(!fires(.contains("x"), state: ["score": 12]))
        #expect(fires(.exists(true), state: ["score": 0]))
        #expect(!fires(.exists(true), state: ["score": nil]))
        #expect(fires(.exists(false), state: ["score": nil]))
        #expect(fires(.exists(false), state: [:]))
    }

    @Test(arguments: [
        RoutingDecision.continue,
        .goto(target: "node_b", rule: "r-advance"),
        .retry(target: "fetch", backoffMs: 250, maxAttempts: 5, rule: "r-retry"),
        .halt(reason: nil, rule: "r-halt"),
        .halt(reason: "done here", rule: "r-halt"),
        .parallel(ParallelSpec(targets: ["a", "b"], join: "j", strategy: .all), rule: "r-par"),
        .parallel(ParallelSpec(id: "fan", targets: ["a"], join: "j", strategy: .quorum(2)), rule: "r-par"),
        .interrupt(InterruptSpec(prompt: "?"), rule: "r-ask", then: .continue),
        .interrupt(
            InterruptSpec(prompt: "Reply?", payload: ["q": [1, "two", nil]], timeoutSeconds: 1.5, onTimeout: .goto("fallback")),
            rule: "r-ask", then: .parallel(ParallelSpec(targets: ["x"], join: "y", strategy: .race), rule: "r-p")),
        .interrupt(InterruptSpec(prompt: "p", timeoutSeconds: 30), rule: "r", then: .retry(target: "t", backoffMs: 0, maxAttempts: 1, rule: "q")),
    ])
    func routingDecisionJSONRoundTrips(decision: RoutingDecision) throws {
        #expect(try RoutingDecision(json: decision.json) == decision)
        let reparsed = try JSONParser.parse(CanonicalJSON.encode(decision.json))
        #expect(try RoutingDecision(json: reparsed) == decision)
    }

    @Test func routingDecisionJSONShapeAndErrors() throws {
        #expect(RoutingDecision.continue.json == ["kind": "continue"])
        #expect(RoutingDecision.goto(target: "node_b", rule: "r-advance").json == ["kind": "goto", "target": "node_b", "rule": "r-advance"])
        let interrupt = RoutingDecision.interrupt(InterruptSpec(prompt: "p", onTimeout: .goto("n")), rule: "r", then: .continue).json
        #expect(interrupt["on_timeout"] == "goto:n")
        #expect(interrupt["then"] == ["kind": "continue"])
        let bad: [(JSONValue, String)] = [
            (["kind": "jump"], "decision.kind"),
            (["kind": "goto", "rule": "r"], "decision"),
            (["kind": "goto", "target": 3, "rule": "r"], "decision.target"),
            (["kind": "continue", "extra": 1], "decision"),
            (["kind": "parallel", "targets": ["a"], "join": "j", "strategy": "most", "rule": "r"], "decision.strategy"),
            (["kind": "retry", "target": "t", "backoff_ms": 1.5, "max_attempts": 1, "rule": "r"], "decision.backoff_ms"),
            (["kind": "interrupt", "prompt": "p", "on_timeout": "wait", "rule": "r", "then": ["kind": "continue"]], "decision.on_timeout"),
            (["kind": "interrupt", "prompt": "p", "on_timeout": "halt", "rule": "r", "then": ["kind": "?"]], "decision.then.kind"),
            ("goto", "decision"),
        ]
        for (json, path) in bad {
            let error = #expect(throws: RuleCodingError.self) { try RoutingDecision(json: json) }
            #expect(error?.path == path, "\(json)")
        }
    }

    @Test func factsRoundTripThroughJSON() throws {
        let facts = [Fact(template: "initial"), Fact(template: "flag", slots: ["on": true, "why": nil, "list": [1, "a"]])]
        let json = FactCoding.json(facts)
        #expect(json == [["template": "initial", "slots": [:]], ["template": "flag", "slots": ["on": true, "why": nil, "list": [1, "a"]]]])
        #expect(try FactCoding.facts(from: json) == facts)
        #expect(try FactCoding.facts(from: [["template": "bare"]]) == [Fact(template: "bare")])
        let errors: [(JSONValue, String)] = [
            (["template": "x"], "facts"),
            ([["template": "ok"], ["slots": [:]]], "facts[1]"),
            ([["template": ""]], "facts[0].template"),
            ([["template": "x", "slots": [1]]], "facts[0].slots"),
            ([["template": "x", "value": 1]], "facts[0]"),
        ]
        for (json, path) in errors {
            let error = #expect(throws: RuleCodingError.self) { try FactCoding.facts(from: json) }
            #expect(error?.path == path, "\(json)")
        }
    }
}
