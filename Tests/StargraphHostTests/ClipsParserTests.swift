import Testing
@testable import StargraphHost
@testable import StargraphCore

@Suite("CLIPS subset parser")
struct ClipsParserTests {
    private func single(_ text: String) throws -> Pattern {
        let condition = try ClipsParser.parseCondition(text)
        try #require(condition.patterns.count == 1)
        return condition.patterns[0]
    }

    @Test func initialFactAndSlotlessPatterns() throws {
        #expect(try single("(initial-fact)") == Pattern(template: "initial-fact"))
        #expect(try single("  (ready)  ") == Pattern(template: "ready"))
    }

    @Test func boundNodeIdPattern() throws {
        let pattern = try single("?n <- (node-id (id pre))")
        #expect(pattern == Pattern(template: "node-id", slots: [SlotTest(slot: "id", test: .textOneOf(["pre"]))], binding: "n"))
        #expect(try single("(node-id (id node_b))").binding == nil)
    }

    @Test func mirroredFieldWithQuotedValueAndEscapes() throws {
        #expect(try single(#"(message (value "hello world"))"#)
            == Pattern(template: "message", slots: [SlotTest(slot: "value", test: .textOneOf(["hello world"]))]))
        let escaped = try single(#"(message (value "say \"hi\" \\ ok"))"#)
        #expect(escaped.slots == [SlotTest(slot: "value", test: .textOneOf([#"say "hi" \ ok"#]))])
    }

    @Test func stateAlternatives() throws {
        let pattern = try single("(state (severity high|critical | \"very low\"))")
        #expect(pattern == Pattern(template: "state", slots: [SlotTest(slot: "severity", test: .textOneOf(["high", "critical", "very low"]))]))
    }

    @Test(arguments: [
        ("(state (score > 0.8))", SlotTest.Test.compare(.gt, .number(0.8))),
        ("(state (score >= 3))", .compare(.ge, .number(3))),
        ("(state (score < -2.5e3))", .compare(.lt, .number(-2500))),
        ("(state (score <= 10))", .compare(.le, .number(10))),
        ("(state (name = \"ann\"))", .compare(.eq, .string("ann"))),
        ("(state (name != bob))", .compare(.ne, .string("bob"))),
        ("(state (ok = TRUE))", .compare(.eq, .bool(true))),
        ("(state (ok != false))", .compare(.ne, .bool(false))),
        ("(state (reply != nil))", .compare(.ne, .null)),
        ("(state (code = \"42\"))", .compare(.eq, .string("42"))),
    ])
    func comparisons(text: String, expected: SlotTest.Test) throws {
        let pattern = try single(text)
        #expect(pattern.template == "state")
        #expect(pattern.slots.map(\.test) == [expected])
    }

    @Test func variablesNegationAndConjunction() throws {
        let text = """
            ; a team lead must exist for every person's team
            ?p <- (person (name ?who) (team ?t)) ; bound person
            (team (id ?t))
            (not (banned (name ?who)))
            (state (count 3))
            """
        let condition = try ClipsParser.parseCondition(text)
        #expect(condition.patterns == [
            Pattern(template: "person", slots: [SlotTest(slot: "name", test: .variable("who")), SlotTest(slot: "team", test: .variable("t"))], binding: "p"),
            Pattern(template: "team", slots: [SlotTest(slot: "id", test: .variable("t"))]),
            Pattern(negated: true, template: "banned", slots: [SlotTest(slot: "name", test: .variable("who"))]),
            Pattern(template: "state", slots: [SlotTest(slot: "count", test: .textOneOf(["3"]))]),
        ])
    }

    @Test func parsePatternTakesExactlyOne() throws {
        #expect(try ClipsParser.parsePattern("(flag (name a.b-c_d))")
            == Pattern(template: "flag", slots: [SlotTest(slot: "name", test: .textOneOf(["a.b-c_d"]))]))
        #expect(try ClipsParser.parsePattern("(not (flag))") == Pattern(negated: true, template: "flag"))
        let error = #expect(throws: ClipsSyntaxError.self) { try ClipsParser.parsePattern("(a) (b)") }
        #expect(error?.offset == 4)
        #expect(throws: ClipsSyntaxError.self) { try ClipsParser.parsePattern("") }
    }

    @Test(arguments: [
        ("", 0, "empty"),
        ("  ; only a comment\n", 19, "empty"),
        ("(test (> 1 2))", 1, "(test ...) is not supported"),
        ("(or (a) (b))", 1, "supported forms"),
        ("(and (a) (b))", 1, "not supported"),
        ("(items (list $?x))", 13, "multifield"),
        ("(state (f ?x&~red))", 12, "connective"),
        ("(state (f ~red))", 10, "connective"),
        ("(node-id (id a)", 15, "unbalanced"),
        ("(a))", 3, "no matching"),
        ("(state (f))", 9, "needs a value"),
        ("(state (f a b))", 12, "expected `)`"),
        ("(ready x)", 7, "ordered facts are not supported"),
        ("(not (not (a)))", 6, "(not (not ...))"),
        ("?x (a)", 3, "<-"),
        ("(a (b \"unterminated))", 6, "unterminated string"),
        ("(a (b ?))", 6, "wildcard"),
        ("(1abc)", 1, "not a valid name"),
        ("(a (b \"x\\n\"))", 8, "escape"),
        ("?n <- (a) ?n <- (b)", 10, "already binds"),
        ("?n <- (not (a))", 7, "cannot be bound"),
        ("(a (b > ))", 8, "after the comparison"),
        ("(a (b ! 3))", 6, "!="),
        ("node-id", 0, "expected `(`"),
    ])
    func rejectsOutsideTheSubset(text: String, offset: Int, messagePart: String) {
        let error = #expect(throws: ClipsSyntaxError.self) { try ClipsParser.parseCondition(text) }
        #expect(error?.offset == offset, "\(text)")
        #expect(error?.message.contains(messagePart) == true, "\(error?.message ?? "no error")")
    }

    @Test func offsetsCountCharactersNotBytes() throws {
        let text = "(msg (value \"héllo 👋🏽\")) (or (a))"
        let error = #expect(throws: ClipsSyntaxError.self) { try ClipsParser.parseCondition(text) }
        let expected = text.distance(from: text.startIndex, to: try #require(text.firstRange(of: "or (a)")).lowerBound)
        #expect(error?.offset == expected)
        #expect(error.map(String.init(describing:))?.hasPrefix("CLIPS syntax error at character \(expected): ") == true)
    }
}
