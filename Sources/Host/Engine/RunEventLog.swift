import Foundation
import GRDB
import Logging

/// Something that happened to a run, as stored in the durable event log and the audit log.
enum RunEvent: Sendable {
    case runCreated(graphHash: String, inputs: JSONValue)
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
    static let inputReceivedType = "input_received"

    var type: String {
        switch self {
        case .runCreated: "run_created"
        case .runForked: "run_forked"
        case .runStarted: "run_started"
        case .runResumed: "run_resumed"
        case .runPaused: "run_paused"
        case .step: "step"
        case .custom(_, let type, _): "custom.\(type)"
        case .interrupt: "interrupt"
        case .inputReceived: Self.inputReceivedType
        case .interruptTimedOut: "interrupt_timed_out"
        case .runFinished(let status, _): status == .done ? "run_done" : "run_\(status.rawValue)"
        }
    }

    var payload: JSONValue {
        switch self {
        case .runCreated(let hash, let inputs):
            return ["graph_hash": .string(hash), "inputs": inputs]
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

/// Writes run rows, checkpoints and their events to the store, then mirrors the events to
/// the audit log (when one is configured) and tells the sink, once they are durable.
struct RunEventLog: Sendable {
    let store: RunStore
    let audit: AuditLog?
    let sink: (any RunEventSink)?
    let logger: Logger

    func insert(_ run: RunRecord, _ events: [RunEvent]) async throws {
        _ = try await insert(run, events, alongside: { _ in })
    }

    /// ``insert(_:_:)`` with `alongside` written in the same transaction, and the run claimed by
    /// the scheduler process `claimedBy` (see ``RunStore/insertRun(_:events:claimedBy:alongside:)``).
    func insert<T: Sendable>(
        _ run: RunRecord, _ events: [RunEvent], claimedBy: String? = nil,
        alongside: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let records = events.map { record(run, $0, step: nil) }
        let extra = try await store.insertRun(run, events: records, claimedBy: claimedBy, alongside: alongside)
        try published(run, records)
        return extra
    }

    func update(_ run: RunRecord, _ event: RunEvent) async throws {
        let records = [record(run, event, step: nil)]
        try await store.updateRun(run, events: records)
        try published(run, records)
    }

    /// Commits a step; `encoded` is the canonical JSON of the checkpoint's state and output when
    /// the engine already has it.
    func commit(
        _ checkpoint: CheckpointRecord, run: RunRecord, _ events: [RunEvent], encoded: (state: String, output: String)? = nil
    ) async throws {
        let records = events.map { record(run, $0, step: checkpoint.step) }
        try await store.commitStep(checkpoint, run: run, events: records, encoded: encoded)
        try published(run, records)
    }

    private func record(_ run: RunRecord, _ event: RunEvent, step: Int?) -> EventRecord {
        EventRecord(runId: run.runId, seq: 0, step: step, type: event.type, ts: run.updatedAt, payload: event.payload)
    }

    /// After a commit: wakes the run's streams, then mirrors the events to the audit log.
    private func published(_ run: RunRecord, _ records: [EventRecord]) throws {
        sink?.runUpdated(run.runId)
        guard let audit else { return }
        try audit.append(records.map { event in
            var members: [String: JSONValue] = [
                "event": .string(event.type), "run_id": .string(run.runId), "graph_id": .string(run.graphId),
                "graph_hash": .string(run.graphHash), "ts": .string(Timestamps.format(event.ts)),
                "payload": event.payload,
            ]
            if let step = event.step { members["step"] = .number(Double(step)) }
            return .object(members)
        })
    }
}
