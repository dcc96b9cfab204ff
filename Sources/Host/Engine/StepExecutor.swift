import Logging

/// What one step produced before rules are evaluated.
struct StepOutcome: Sendable {
    /// `node_id`, or `parallel:<a>+<b>` for a block.
    var label: String
    /// The patch merged into state.
    var patch: [String: JSONValue]
    /// The output stored in the checkpoint (the patch; per branch for a block).
    var output: JSONValue
    var control: NodeControl?
    /// Host values handed out (an array; per branch for a block).
    var effects: JSONValue
}

/// Runs one step: one node, or one parallel block with its join strategy.
struct StepExecutor: Sendable {
    let graph: CompiledGraph
    let runId: String
    let logger: Logger

    func runNode(_ nodeId: String, step: Int, state: [String: JSONValue]) async throws(RunFailure) -> StepOutcome {
        let effects = HostEffects()
        let result = try await invoke(nodeId, step: step, state: state, effects: effects)
        try graph.patching.validate(result.patch, source: "node '\(nodeId)'")
        return StepOutcome(
            label: nodeId, patch: result.patch, output: .object(result.patch), control: result.control,
            effects: .array(effects.records))
    }

    func runBlock(_ block: ParallelSpec, step: Int, state: [String: JSONValue]) async throws(RunFailure) -> StepOutcome {
        let finished = try await runBranches(block, step: step, state: state)
        var patches: [(branch: String, patch: [String: JSONValue])] = []
        var outputs: [String: JSONValue] = [:]
        var effects: [String: JSONValue] = [:]
        for target in block.targets {
            guard let branch = finished[target] else { continue }
            if case .interrupt = branch.result.control {
                throw RunFailure(errorClass: "invalid_parallel", message: "node '\(target)' asked for input inside a parallel block; interrupts are only allowed outside parallel blocks")
            }
            try graph.patching.validate(branch.result.patch, source: "node '\(target)'")
            patches.append((target, branch.result.patch))
            outputs[target] = .object(branch.result.patch)
            effects[target] = .array(branch.effects)
        }
        let merged = try graph.patching.mergeBranches(patches)
        return StepOutcome(
            label: "parallel:" + block.targets.joined(separator: "+"), patch: merged,
            output: .object(outputs), control: nil, effects: .object(effects))
    }

    private struct Branch: Sendable {
        var target: String
        var result: NodeResult
        var effects: [JSONValue]
    }

    /// Runs the targets concurrently; returns the branches whose patches count, by target.
    private func runBranches(_ block: ParallelSpec, step: Int, state: [String: JSONValue]) async throws(RunFailure) -> [String: Branch] {
        let needed: Int
        switch block.strategy {
        case .all: needed = block.targets.count
        case .any, .race: needed = 1
        case .quorum(let n): needed = n
        }
        let outcome = await withTaskGroup(of: Result<Branch, RunFailure>.self) { group in
            for target in block.targets {
                group.addTask {
                    let effects = HostEffects()
                    do throws(RunFailure) {
                        let result = try await invoke(target, step: step, state: state, effects: effects)
                        return .success(Branch(target: target, result: result, effects: effects.records))
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
