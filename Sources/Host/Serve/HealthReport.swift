import Foundation
import StargraphCore
import StargraphStore
import StargraphAudit
import StargraphScheduler

/// `GET /health`: one status per component — `store`, `audit`, `plugins`, `scheduler`, `broker` —
/// each `ok`, `unconfigured` or `error` with a detail. Only an `error` makes the server unhealthy.
///
/// The store and the audit log are `error` while their writes fail (a full disk), not only when
/// they cannot be read: after a failed write, each check makes a probe write, so the status
/// turns `ok` again once writes succeed.
struct HealthReport: Sendable {
    /// A component's state.
    enum Status: String, Sendable { case ok, unconfigured, error }

    /// One component's line in the report.
    struct Component: Sendable {
        var status: Status
        var detail: String?

        var json: JSONValue {
            ["status": .string(status.rawValue), "detail": detail.map(JSONValue.string) ?? .null]
        }
    }

    let components: [String: Component]

    var isHealthy: Bool { !components.values.contains { $0.status == .error } }

    var componentsJSON: JSONValue { .object(components.mapValues(\.json)) }

    /// Checks the live components (store, audit log, scheduler) and adds the ones fixed at boot.
    static func check(
        store: any RunStore, audit: AuditLog?, scheduler: RunScheduler, plugins: Component, broker: Component
    ) async -> HealthReport {
        let storeStatus: Component
        do {
            try await store.ping()
            await store.probeWritesAfterFailure()
            if let failure = store.lastWriteFailure {
                storeStatus = Component(status: .error, detail: "\(store.location): \(failure)")
            } else {
                storeStatus = Component(status: .ok, detail: store.location)
            }
        } catch {
            storeStatus = Component(status: .error, detail: "\(store.location): \(error)")
        }
        let schedulerStatus = scheduler.isRunning
            ? Component(status: .ok, detail: nil)
            : Component(status: .error, detail: "the scheduler is not running (starting or shutting down)")
        return HealthReport(components: [
            "store": storeStatus, "audit": auditStatus(audit), "plugins": plugins, "scheduler": schedulerStatus,
            "broker": broker,
        ])
    }

    private static func auditStatus(_ audit: AuditLog?) -> Component {
        guard let audit else { return Component(status: .unconfigured, detail: "no --audit-log") }
        audit.probeAfterFailure()
        guard let failure = audit.lastFailure else { return Component(status: .ok, detail: audit.path) }
        return Component(status: .error, detail: "\(audit.path): \(failure)")
    }
}
