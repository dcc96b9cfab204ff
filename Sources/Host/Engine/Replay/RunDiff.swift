import StargraphCore
/// The difference between a parent run and a run compared with it (usually its counterfactual
/// fork), step by step. Steps pair by index from the fork step on; a pair with
/// different nodes, or a step past the other run's end, is added (fork side) or removed
/// (parent side).
public struct RunDiff: Sendable, Hashable {
    /// A step named in `added_steps` / `removed_steps`.
    public struct StepRef: Sendable, Hashable {
        public var step: Int
        public var node: String
    }

    /// One field's value on each side (`nil`: absent).
    public struct FieldDelta: Sendable, Hashable {
        public var parent: JSONValue?
        public var cf: JSONValue?
    }

    public var addedSteps: [StepRef] = []
    public var removedSteps: [StepRef] = []
    /// step → field → values, for paired steps whose states differ.
    public var stateDeltas: [Int: [String: FieldDelta]] = [:]
    /// step → facts only the fork has (`asserted`) and only the parent has (`retracted`).
    public var factDeltas: [Int: (asserted: [Fact], retracted: [Fact])] = [:]
    /// Witness of the fork's behaviour: equal for every replay of the same fork.
    public var derivedHash: String = ""

    public static func == (lhs: RunDiff, rhs: RunDiff) -> Bool { lhs.json == rhs.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(CanonicalJSON.encode(json)) }

    /// Compares `fork`'s checkpoints with `parent`'s from `fromStep` on.
    /// - Parameters:
    ///   - parentGraphHash, mutation: hashed with the fork's checkpoint contents into ``derivedHash``.
    public init(
        parent: [CheckpointRecord], fork: [CheckpointRecord], fromStep: Int, parentGraphHash: String, mutation: JSONValue
    ) throws {
        let parentSteps = Dictionary(parent.filter { $0.branchId == "main" && $0.step >= fromStep }.map { ($0.step, $0) }) { a, _ in a }
        let forkSteps = Dictionary(fork.filter { $0.branchId == "main" && $0.step >= fromStep }.map { ($0.step, $0) }) { a, _ in a }
        for step in Set(parentSteps.keys).union(forkSteps.keys).sorted() {
            switch (parentSteps[step], forkSteps[step]) {
            case (let old?, let new?) where old.node == new.node:
                let deltas = Self.stateDeltas(old.state.objectValue ?? [:], new.state.objectValue ?? [:])
                if !deltas.isEmpty { stateDeltas[step] = deltas }
                let oldFacts = try FactCoding.facts(from: old.facts)
                let newFacts = try FactCoding.facts(from: new.facts)
                let asserted = newFacts.filter { !oldFacts.contains($0) }
                let retracted = oldFacts.filter { !newFacts.contains($0) }
                if !asserted.isEmpty || !retracted.isEmpty { factDeltas[step] = (asserted, retracted) }
            case (let old, let new):
                if let old { removedSteps.append(StepRef(step: step, node: old.node)) }
                if let new { addedSteps.append(StepRef(step: step, node: new.node)) }
            }
        }
        derivedHash = Self.derivedHash(
            parentGraphHash: parentGraphHash, fromStep: fromStep, mutation: mutation,
            fork: fork.filter { $0.step >= fromStep })
    }

    /// `sha256` of the canonical JSON of {parent graph hash, from step, mutation, the content
    /// hash of every fork checkpoint (node, state, facts, next_action, output — never ids or
    /// timestamps)}.
    public static func derivedHash(parentGraphHash: String, fromStep: Int, mutation: JSONValue, fork: [CheckpointRecord]) -> String {
        let contents = fork.sorted { ($0.step, $0.branchId) < ($1.step, $1.branchId) }.map { checkpoint -> JSONValue in
            .string(ContentHash.of([
                "node": .string(checkpoint.node), "state": checkpoint.state, "facts": checkpoint.facts,
                "next_action": checkpoint.nextAction, "output": checkpoint.output,
            ]))
        }
        return ContentHash.of([
            "parent_graph_hash": .string(parentGraphHash), "from_step": .number(Double(fromStep)),
            "mutation": mutation, "checkpoints": .array(contents),
        ])
    }

    /// The RunDiff document: `added_steps`, `removed_steps`, `state_deltas`, `fact_deltas`, `derived_hash`.
    public var json: JSONValue {
        func ref(_ step: StepRef) -> JSONValue { ["step": .number(Double(step.step)), "node": .string(step.node)] }
        return [
            "added_steps": .array(addedSteps.map(ref)),
            "removed_steps": .array(removedSteps.map(ref)),
            "state_deltas": .object(Dictionary(uniqueKeysWithValues: stateDeltas.map { step, fields in
                (String(step), JSONValue.object(fields.mapValues { ["parent": $0.parent ?? .null, "cf": $0.cf ?? .null] }))
            })),
            "fact_deltas": .object(Dictionary(uniqueKeysWithValues: factDeltas.map { step, delta in
                (String(step), JSONValue.object([
                    "asserted": .array(delta.asserted.map(FactCoding.json)),
                    "retracted": .array(delta.retracted.map(FactCoding.json)),
                ]))
            })),
            "derived_hash": .string(derivedHash),
        ]
    }

    private static func stateDeltas(_ old: [String: JSONValue], _ new: [String: JSONValue]) -> [String: FieldDelta] {
        var deltas: [String: FieldDelta] = [:]
        for field in Set(old.keys).union(new.keys) where old[field] != new[field] {
            deltas[field] = FieldDelta(parent: old[field], cf: new[field])
        }
        return deltas
    }
}
