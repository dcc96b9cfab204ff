import Foundation
import Logging
import StargraphCore
import StargraphStore
import StargraphAudit

/// Something that happened to a run, as stored in the durable event log and the audit log.
package enum RunEvent: Sendable {
    /// `principal`: who asked for the run, when someone did (an API key id).
    case runCreated(graphHash: String, inputs: JSONValue, principal: String? = nil)
    case runForked(parentRunId: String, fromStep: Int, mutation: JSONValue)
    case runStarted
    case runResumed
    case runPaused
    /// A committed step; `nextAction` is the JSON of its routing decision.
    case step(node: String, nextAction: JSONValue, changed: [String])
    /// An event a node emitted through the host (`emit_event`); stored as `custom.<type>`.
    case custom(node: String, type: String, payload: JSONValue)
    case interrupt(InterruptSpec)
    case inputReceived(response: JSONValue)
    case interruptTimedOut
    case runFinished(status: RunStatus, reason: String?)

    /// The type of ``inputReceived(response:)`` events (counted when a fork resumes).
    package static let inputReceivedType = "input_received"

    /// Every ``type`` but those of ``custom(node:type:payload:)`` events, which are `custom.` then
    /// the type the node emitted.
    package static let lifecycleTypes = [
        "run_created", "run_forked", "run_started", "run_resumed", "run_paused", "step", "interrupt",
        inputReceivedType, "interrupt_timed_out", "run_done", "run_failed", "run_cancelled",
    ]

    /// The prefix of the types of ``custom(node:type:payload:)`` events.
    package static let customTypePrefix = "custom."

    package var type: String {
        switch self {
        case .runCreated: "run_created"
        case .runForked: "run_forked"
        case .runStarted: "run_started"
        case .runResumed: "run_resumed"
        case .runPaused: "run_paused"
        case .step: "step"
        case .custom(_, let type, _): Self.customTypePrefix + type
        case .interrupt: "interrupt"
        case .inputReceived: Self.inputReceivedType
        case .interruptTimedOut: "interrupt_timed_out"
        case .runFinished(let status, _): status == .done ? "run_done" : "run_\(status.rawValue)"
        }
    }

    package var payload: JSONValue {
        switch self {
        case .runCreated(let hash, let inputs, let principal):
            var members: [String: JSONValue] = ["graph_hash": .string(hash), "inputs": inputs]
            if let principal { members["principal"] = .string(principal) }
            return .object(members)
        case .runForked(let parent, let fromStep, let mutation):
            return ["parent_run_id": .string(parent), "from_step": .number(Double(fromStep)), "mutation": mutation]
        case .runStarted, .runResumed, .runPaused, .interruptTimedOut:
            return .object([:])
        case .step(let node, let nextAction, let changed):
            return ["node": .string(node), "next_action": nextAction, "changed": .array(changed.map(JSONValue.string))]
        case .custom(let node, _, let payload):
            return ["node": .string(node), "data": payload]
        case .interrupt(let spec):
            var members: [String: JSONValue] = ["prompt": .string(spec.prompt), "interrupt_payload": spec.payload]
            if let timeout = spec.timeoutSeconds { members["timeout"] = .number(timeout) }
            return .object(members)
        case .inputReceived(let response):
            return ["response": response]
        case .runFinished(let status, let reason):
            return ["status": .string(status.rawValue), "reason": reason.map(JSONValue.string) ?? .null]
        }
    }
}

/// Told, after a commit, that a run's durable event log grew (the server's event streams
/// then read the new events from the store).
public protocol RunEventSink: Sendable {
    func runUpdated(_ runId: String)
}

/// Tells each of several sinks, in order.
package struct RunEventSinks: RunEventSink {
    package var sinks: [any RunEventSink]

    package init(_ sinks: [any RunEventSink]) {
        self.sinks = sinks
    }

    package func runUpdated(_ runId: String) {
        for sink in sinks { sink.runUpdated(runId) }
    }
}

/// Writes run rows, checkpoints and their events to the store, and mirrors the events to the
/// audit log (when one is configured) ahead of the commit, so no committed event goes unaudited:
/// when the audit append fails nothing is committed, and when the commit fails after it a
/// `commit_failed` record says so. The sink is told once the events are durable.
package struct RunEventLog: Sendable {
    package let store: any RunStore
    package let audit: AuditLog?
    package let sink: (any RunEventSink)?
    package let logger: Logger

    package func insert(_ run: RunRecord, _ events: [RunEvent]) async throws {
        let records = events.map { record(run, $0, step: nil) }
        try await audited(run, records) { anchor in try await store.insertRun(run, events: records, anchor: anchor) }
    }

    /// ``insert(_:_:)`` of a run a scheduler takes on as `admission` says, with its `webhook`,
    /// in the same transaction (see ``RunStore/insertRun(_:events:admission:webhook:anchor:)``).
    package func insert(
        _ run: RunRecord, _ events: [RunEvent], admission: RunAdmission, webhook: WebhookSubscription?
    ) async throws -> QueuedRun {
        let records = events.map { record(run, $0, step: nil) }
        return try await audited(run, records) { anchor in
            try await store.insertRun(run, events: records, admission: admission, webhook: webhook, anchor: anchor)
        }
    }

    package func update(_ run: RunRecord, _ event: RunEvent) async throws {
        let records = [record(run, event, step: nil)]
        try await audited(run, records) { anchor in try await store.updateRun(run, events: records, anchor: anchor) }
    }

    /// Commits a step; `encoded` is the canonical JSON of the checkpoint's state and output when
    /// the engine already has it.
    package func commit(
        _ checkpoint: CheckpointRecord, run: RunRecord, _ events: [RunEvent], encoded: (state: String, output: String)? = nil
    ) async throws {
        let records = events.map { record(run, $0, step: checkpoint.step) }
        try await audited(run, records) { anchor in
            try await store.commitStep(checkpoint, run: run, events: records, encoded: encoded, anchor: anchor)
        }
    }

    private func record(_ run: RunRecord, _ event: RunEvent, step: Int?) -> EventRecord {
        EventRecord(runId: run.runId, seq: 0, step: step, type: event.type, ts: run.updatedAt, payload: event.payload)
    }

    /// Appends `records` to the audit log, runs the store write `commit` with the log's new head
    /// (to anchor in its transaction), then wakes the run's streams. A failed commit after the
    /// append is recorded as `commit_failed` (best effort: the store's error is what the caller sees).
    private func audited<T>(
        _ run: RunRecord, _ records: [EventRecord], commit: (AuditHead?) async throws -> T
    ) async throws -> T {
        let head = try audit?.append(records.map { event in
            var members: [String: JSONValue] = [
                "event": .string(event.type), "run_id": .string(run.runId), "graph_id": .string(run.graphId),
                "graph_hash": .string(run.graphHash), "ts": .string(Timestamps.format(event.ts)),
                "payload": event.payload,
            ]
            if let step = event.step { members["step"] = .number(Double(step)) }
            return .object(members)
        })
        let result: T
        do {
            result = try await commit(head)
        } catch {
            recordCommitFailure(run, records, error)
            throw error
        }
        sink?.runUpdated(run.runId)
        return result
    }

    private func recordCommitFailure(_ run: RunRecord, _ records: [EventRecord], _ error: any Error) {
        guard let audit else { return }
        do {
            try audit.append([[
                "event": "commit_failed", "run_id": .string(run.runId),
                "events": .array(records.map { .string($0.type) }), "reason": .string("\(error)"),
                "ts": .string(Timestamps.format(Date())),
            ]])
        } catch {
            logger.error("could not record a failed commit in the audit log", metadata: [
                "run_id": "\(run.runId)", "error": "\(error)",
            ])
        }
    }
}
