import Synchronization
import StargraphCore

/// What a counterfactual fork replays from its parent run: the parent's recorded
/// outputs and host values, matched by node and input hash, the mutation's output overrides,
/// and its interrupt answers. Built from the stored runs, so a fork resumed later replays the same way.
package final class ReplayContext: Sendable {
    package let parentRunId: String
    /// Execute side-effecting nodes whose recording is missing instead of failing.
    package let live: Bool
    package let outputOverrides: [String: [String: JSONValue]]
    private let responses: [JSONValue]
    private let recordings: Mutex<[String: [CheckpointRecord]]>
    private let answered = Mutex(0)

    package init(parent: [CheckpointRecord], parentRunId: String, mutation: CounterfactualMutation, live: Bool, answeredSoFar: Int) {
        self.parentRunId = parentRunId
        self.live = live
        outputOverrides = mutation.nodeOutputOverrides
        responses = mutation.respondPayloads
        recordings = Mutex(Dictionary(grouping: parent) { Self.key($0.node, $0.inputHash) })
        answered.withLock { $0 = answeredSoFar }
    }

    /// The parent's step that ran `label` on the same input, consumed in order so a loop
    /// replays its iterations one by one.
    package func takeRecording(label: String, inputHash: String) -> CheckpointRecord? {
        recordings.withLock { table in
            let key = Self.key(label, inputHash)
            guard var matches = table[key], !matches.isEmpty else { return nil }
            let first = matches.removeFirst()
            table[key] = matches
            return first
        }
    }

    /// The next `respond_payloads` answer, if any remain.
    package func nextResponse() -> JSONValue? {
        answered.withLock { count in
            guard count < responses.count else { return nil }
            count += 1
            return responses[count - 1]
        }
    }

    private static func key(_ label: String, _ inputHash: String) -> String { label + "\u{0}" + inputHash }
}
