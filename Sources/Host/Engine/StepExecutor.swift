import Logging
import StargraphCore

/// What one step produced before rules are evaluated.
package struct StepOutcome: Sendable {
    /// `node_id`, or `parallel:<a>+<b>` for a block.
    package var label: String
    /// The patch merged into state.
    package var patch: [String: JSONValue]
    /// The output stored in the checkpoint (the patch; per branch for a block).
    package var output: JSONValue
    package var control: NodeControl?
    /// Host values handed out (an array; per branch for a block).
    package var effects: JSONValue
    /// Custom events the node(s) emitted, in branch order.
    package var events: [(type: String, payload: JSONValue)] = []
}

/// Runs one step: one node, or one parallel block with its join strategy. In a
/// counterfactual fork (`replay` set) it serves side-effecting nodes from the parent's
/// recording, applies output overrides, and feeds recorded host values back.
package struct StepExecutor: Sendable {
    package let graph: CompiledGraph
    package let runId: String
    package let replay: ReplayContext?
    package let logger: Logger

    package func runNode(_ nodeId: String, step: Int, state: [String: JSONValue], inputHash: String) async throws(RunFailure) -> StepOutcome {
        let recording = replay?.takeRecording(label: nodeId, inputHash: inputHash)
        let branch = try await execute(
            nodeId, step: step, state: state, recordedOutput: recording?.output, recordedEffects: recording?.effects)
        try graph.patching.validate(branch.result.patch, source: "node '\(nodeId)'")
        return StepOutcome(
            label: nodeId, patch: branch.result.patch, output: .object(branch.result.patch), control: branch.result.control,
            effects: .array(branch.effects), events: branch.events)
    }

    package func runBlock(_ block: ParallelSpec, step: Int, state: [String: JSONValue], inputHash: String) async throws(RunFailure) -> StepOutcome {
        let label = block.stepLabel
        let recording = replay?.takeRecording(label: label, inputHash: inputHash)
        let finished = try await runBranches(block, step: step, state: state, recording: recording)
        var patches: [(branch: String, patch: [String: JSONValue])] = []
        var outputs: [String: JSONValue] = [:]
        var effects: [String: JSONValue] = [:]
        var events: [(type: String, payload: JSONValue)] = []
        for target in block.targets {
            guard let branch = finished[target] else { continue }
            if case .interrupt = branch.result.control {
                throw RunFailure(errorClass: "invalid_parallel", message: "node '\(target)' asked for input inside a parallel block; interrupts are only allowed outside parallel blocks")
            }
            try graph.patching.validate(branch.result.patch, source: "node '\(target)'")
            patches.append((target, branch.result.patch))
            outputs[target] = .object(branch.result.patch)
            effects[target] = .array(branch.effects)
            events += branch.events
        }
        let merged = try graph.patching.mergeBranches(patches)
        return StepOutcome(
            label: label, patch: merged,
            output: .object(outputs), control: nil, effects: .object(effects), events: events)
    }

    private struct Branch: Sendable {
        var target: String
        var result: NodeResult
        var effects: [JSONValue]
        var events: [(type: String, payload: JSONValue)] = []
    }

    /// Runs the targets concurrently; returns the branches whose patches count, by target.
    private func runBranches(
        _ block: ParallelSpec, step: Int, state: [String: JSONValue], recording: CheckpointRecord?
    ) async throws(RunFailure) -> [String: Branch] {
        let needed: Int
        switch block.strategy {
        case .all: needed = block.targets.count
        case .any, .race: needed = 1
        case .quorum(let n): needed = n
        }
        let outcome = await withTaskGroup(of: Result<Branch, RunFailure>.self) { group in
            for target in block.targets {
                group.addTask {
                    do throws(RunFailure) {
                        return .success(try await execute(
                            target, step: step, state: state, recordedOutput: recording?.output[target],
                            recordedEffects: recording?.effects[target]))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var done: [String: Branch] = [:]
            var failures: [RunFailure] = []
            for await result in group {
                switch result {
                case .success(let branch):
                    done[branch.target] = branch
                case .failure(let failure):
                    failures.append(failure)
                    if block.strategy == .all || block.strategy == .race {
                        group.cancelAll()
                        return Result<[String: Branch], RunFailure>.failure(failure)
                    }
                }
                if done.count >= needed {
                    group.cancelAll()
                    return .success(done)
                }
                if block.targets.count - failures.count < needed { break }
            }
            group.cancelAll()
            let reasons = failures.map(\.message).joined(separator: "; ")
            return .failure(RunFailure(
                errorClass: failures.first?.errorClass ?? "parallel_failed",
                message: "parallel block \(block.targets.joined(separator: "+")) (\(block.strategy.text)) got \(done.count) of \(needed) successes: \(reasons)"))
        }
        return try outcome.get()
    }

    /// Runs (or, replaying, serves) one node.
    private func execute(
        _ nodeId: String, step: Int, state: [String: JSONValue], recordedOutput: JSONValue?, recordedEffects: JSONValue?
    ) async throws(RunFailure) -> Branch {
        if let replay {
            if let patch = replay.outputOverrides[nodeId] {
                return Branch(target: nodeId, result: NodeResult(patch: patch), effects: [])
            }
            if graph.sideEffectingNodes.contains(nodeId) {
                if let output = recordedOutput?.objectValue {
                    return Branch(target: nodeId, result: NodeResult(patch: output), effects: recordedEffects?.arrayValue ?? [])
                }
                if !replay.live {
                    throw RunFailure(
                        errorClass: "ReplayError",
                        message: "node '\(nodeId)' at step \(step) has side effects and parent run \(replay.parentRunId) recorded no output for the same input; replay it live to execute it for real")
                }
            }
        }
        let effects = HostEffects(replaying: recordedEffects?.arrayValue ?? [])
        let result = try await invoke(nodeId, step: step, state: state, effects: effects)
        return Branch(target: nodeId, result: result, effects: effects.records, events: effects.events)
    }

    private func invoke(_ nodeId: String, step: Int, state: [String: JSONValue], effects: HostEffects) async throws(RunFailure) -> NodeResult {
        guard let node = graph.nodes[nodeId] else {
            throw RunFailure(errorClass: "unknown_node", message: "node '\(nodeId)' is not in graph \(graph.id)")
        }
        var nodeLogger = logger
        nodeLogger[metadataKey: "node"] = .string(nodeId)
        let context = NodeContext(runId: runId, nodeId: nodeId, step: step, host: effects, logger: nodeLogger)
        do {
            return try await node.invoke(state: state, context: context)
        } catch let failure as NodeFailure {
            throw RunFailure(errorClass: failure.errorClass, message: "node '\(nodeId)' at step \(step): \(failure.message)")
        } catch let failure as RunFailure {
            throw failure
        } catch {
            throw RunFailure(errorClass: "NodeError", message: "node '\(nodeId)' at step \(step): \(error)")
        }
    }
}

extension ParallelSpec {
    /// The node name a block's step is checkpointed under: `parallel:` and its targets joined by `+`.
    package var stepLabel: String { "parallel:" + targets.joined(separator: "+") }
}
