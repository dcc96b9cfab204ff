import Metrics
import Prometheus

/// The process's metrics backend: swift-metrics bootstrapped once onto a Prometheus registry,
/// which `GET /metrics` renders. The scheduler, engine and plugins emit through swift-metrics.
enum ServeMetrics {
    /// The registry behind `MetricsSystem`; the first use bootstraps it (once per process, as
    /// swift-metrics requires).
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}
