import Hummingbird
import Prometheus
import StargraphStore
import StargraphAudit
import StargraphScheduler
import StargraphHost

/// The routes outside `/v1`: `GET /health`, `GET /metrics` (Prometheus text) and
/// `GET /openapi.json` (encoded once at start).
struct SystemRoutes: Sendable {
    typealias Context = StargraphRequestContext

    let store: any RunStore
    let audit: AuditLog?
    let scheduler: RunScheduler
    let plugins: HealthReport.Component
    let broker: HealthReport.Component
    let metrics: PrometheusCollectorRegistry
    let openAPI: [UInt8]

    /// Adds `/health` and `/openapi.json` to `router`.
    func register(on router: Router<Context>) {
        router.on(.health) { _, _ in try await health() }
        router.on(.openapi) { _, _ in JSONMessages.response(bytes: openAPI) }
    }

    /// Adds `/metrics` to `group` (behind the auth middleware: capability `metrics:read`).
    func registerMetrics(on router: Router<Context>) {
        router.on(.metrics) { _, _ in
            var text = MetricsExposition.render(metrics)
            if let head = try audit?.head() { MetricsExposition.emit(head, into: &text) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }

    private func health() async throws -> Response {
        let report = await HealthReport.check(store: store, audit: audit, scheduler: scheduler, plugins: plugins, broker: broker)
        guard report.isHealthy else {
            let failing = report.components.filter { $0.value.status == .error }.keys.sorted().joined(separator: ", ")
            throw Problem(.unhealthy, detail: "unhealthy component(s): \(failing)", extensions: [
                "components": report.componentsJSON, "version": .string(StargraphVersion.current),
            ])
        }
        return JSONMessages.response([
            "status": "ok", "version": .string(StargraphVersion.current), "components": report.componentsJSON,
        ])
    }
}
