import StargraphCore
import StargraphStore

/// The JSON body of a webhook request, the same at every attempt:
/// `{type, timestamp, data: {run_id, graph_id, seq, step, payload, run?}}`, where `type` and
/// `timestamp` are the event's and `payload` is its payload as the event log stores it. A
/// terminal event's `data.run` is the finished run (status, error, step count, final state),
/// which never changes again.
package enum WebhookPayload {
    /// The canonical JSON bytes of the body for `event` of `run`.
    package static func body(event: EventRecord, run: RunRecord) -> [UInt8] {
        var data: [String: JSONValue] = [
            "run_id": .string(event.runId), "graph_id": .string(run.graphId), "seq": .number(Double(event.seq)),
            "step": event.step.map { .number(Double($0)) } ?? .null, "payload": event.payload,
        ]
        if run.status.isTerminal, terminalTypes.contains(event.type) {
            data["run"] = [
                "status": .string(run.status.rawValue), "graph_hash": .string(run.graphHash),
                "step_count": .number(Double(run.stepCount)), "state": run.state,
                "error_class": run.errorClass.map(JSONValue.string) ?? .null,
                "error_cause": run.errorCause.map(JSONValue.string) ?? .null,
                "finished_at": run.finishedAt.map { .string(Timestamps.format($0)) } ?? .null,
            ]
        }
        let body: JSONValue = ["type": .string(event.type), "timestamp": .string(Timestamps.format(event.ts)), "data": .object(data)]
        return CanonicalJSON.bytes(body)
    }

    /// The `webhook-id` of `event`: stable across attempts and restarts, so receivers can
    /// drop a delivery they already took.
    package static func messageId(runId: String, seq: Int) -> String {
        "msg_\(runId)_\(seq)"
    }

    private static let terminalTypes: Set<String> = ["run_done", "run_failed", "run_cancelled"]
}
