import Foundation
import Synchronization
import StargraphCore

/// The only source of time, randomness and ids for a node. Every value handed
/// out is recorded in order, and stored in the step's checkpoint (`effects`), so a replay can
/// feed the same values back. Custom events a node emits are collected here too and committed
/// to the run's event log with the step.
public final class HostEffects: Sendable {
    private let recorded = Mutex<[JSONValue]>([])
    private let emitted = Mutex<[(type: String, payload: JSONValue)]>([])
    private let replay: Mutex<[JSONValue]>

    /// Fresh effects; pass `replaying` (a checkpoint's `effects`) to hand those values out again.
    public init(replaying: [JSONValue] = []) {
        replay = Mutex(replaying)
    }

    /// Milliseconds since the Unix epoch.
    public func nowMillis() -> Double {
        value(op: "now") { .number((Date().timeIntervalSince1970 * 1000).rounded()) }.numberValue ?? 0
    }

    /// A uniformly random 64-bit unsigned integer, as a double-exact 53-bit value.
    public func random() -> UInt64 {
        let value = value(op: "random") { .number(Double(UInt64.random(in: 0...(1 << 53)))) }
        return value.numberValue.flatMap { UInt64(exactly: $0) } ?? 0
    }

    /// A random UUID string (lowercase).
    public func uuid() -> String {
        value(op: "uuid") { .string(UUID().uuidString.lowercased()) }.stringValue ?? ""
    }

    /// Records a custom event (`type`, JSON `payload`) for the run's event log.
    public func emit(type: String, payload: JSONValue) {
        emitted.withLock { $0.append((type, payload)) }
    }

    /// The custom events emitted so far, in order.
    public var events: [(type: String, payload: JSONValue)] { emitted.withLock { $0 } }

    /// Everything handed out so far, as `[{op, value}]`.
    public var records: [JSONValue] { recorded.withLock { $0 } }

    private func value(op: String, fresh: () -> JSONValue) -> JSONValue {
        let replayed: JSONValue? = replay.withLock { queue in
            guard let first = queue.first, first["op"]?.stringValue == op else { return nil }
            queue.removeFirst()
            return first["value"]
        }
        let value = replayed ?? fresh()
        recorded.withLock { $0.append(.object(["op": .string(op), "value": value])) }
        return value
    }
}
