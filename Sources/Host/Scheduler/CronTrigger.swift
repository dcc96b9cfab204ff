import Foundation
import StargraphCore

/// A manifest trigger (`triggers: [{id, cron, timezone, graph_id, params}]`): starts a run of
/// `graphId` with `params` at every time `cron` matches in `timezone`.
///
/// Each fire is recorded in `trigger_fires` and submitted with the idempotency key
/// `cron:<id>:<fire time>`, so a fire creates one run even across restarts and processes. Fires
/// missed while no scheduler ran are caught up with at most one run per trigger at startup (the
/// latest missed time); a trigger that never fired before starts with its next time.
public struct CronTrigger: Sendable, Hashable {
    public var id: String
    /// Five fields — minute hour day-of-month month day-of-week — or a macro such as `@hourly`.
    public var cron: String
    /// An IANA zone name (`UTC`, `Europe/Paris`); fire times are wall-clock times there.
    public var timezone: String
    public var graphId: String
    public var params: JSONValue

    public init(id: String, cron: String, timezone: String = "UTC", graphId: String, params: JSONValue = .object([:])) {
        self.id = id
        self.cron = cron
        self.timezone = timezone
        self.graphId = graphId
        self.params = params
    }

    /// Checks the expression and zone.
    /// - Throws: ``CronTriggerError`` naming this trigger; fix its `cron` or `timezone`.
    public func validate() throws(CronTriggerError) {
        _ = try expression()
    }

    /// The first fire time strictly after `date`.
    /// - Throws: ``CronTriggerError`` when the trigger does not parse.
    public func nextFire(after date: Date) throws(CronTriggerError) -> Date? {
        try expression().nextFire(after: date)
    }

    package func expression() throws(CronTriggerError) -> CronExpression {
        do {
            return try CronExpression(cron, timeZone: timezone)
        } catch {
            throw CronTriggerError(triggerId: id, message: error.message)
        }
    }

    /// The idempotency key of this trigger's fire at `fireTime`.
    package func idempotencyKey(for fireTime: Date) -> String {
        "cron:\(id):\(Timestamps.format(fireTime))"
    }
}

/// A cron trigger whose `cron` or `timezone` does not parse.
public struct CronTriggerError: Error, Sendable, CustomStringConvertible {
    public var triggerId: String
    public var message: String

    public var description: String { "trigger '\(triggerId)': \(message)" }
}
