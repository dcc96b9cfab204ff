import GRDB

/// `GET /health`: one status per component — `store`, `plugins`, `scheduler`, `broker` — each
/// `ok`, `unconfigured` or `error` with a detail. Only an `error` makes the server unhealthy.
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

    /// Checks the live components (store, scheduler) and adds the ones fixed at boot.
    static func check(store: RunStore, scheduler: RunScheduler, plugins: Component, broker: Component) -> HealthReport {
        let storeStatus: Component
        do {
            try store.ping()
            storeStatus = Component(status: .ok, detail: store.path)
        } catch {
            storeStatus = Component(status: .error, detail: "\(store.path): \(error)")
        }
        let schedulerStatus = scheduler.isRunning
            ? Component(status: .ok, detail: nil)
            : Component(status: .error, detail: "the scheduler is not running (starting or shutting down)")
        return HealthReport(components: [
            "store": storeStatus, "plugins": plugins, "scheduler": schedulerStatus, "broker": broker,
        ])
    }
}

extension RunStore {
    /// Runs a trivial read, so `/health` sees a database that can no longer be read.
    func ping() throws {
        do {
            _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        } catch {
            throw StoreError.wrapping(error, operation: "checking \(path)")
        }
    }
}
