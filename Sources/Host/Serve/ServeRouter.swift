import Hummingbird
import HummingbirdWebSocket
import Prometheus
import StargraphStore
import StargraphEngine
import StargraphScheduler
import StargraphHost

/// The server's HTTP surface, composed in one place: the middleware order and every route, each
/// bound to the operation ``OpenAPIDocument`` declares (method, path, capability).
///
/// Middleware, outermost first: ``HTTPMetricsMiddleware`` (requests and durations by route and
/// status), ``ProblemMiddleware`` (every failure as problem+json, 404/405
/// for unmatched requests), ``AuthMiddleware`` (principal; 401/403 in `cleared`; mutating and refused requests in the
/// audit log),
/// ``RateLimitMiddleware`` (mutating routes), ``QueryParameterMiddleware`` (400 for a query
/// parameter the route does not take). They sit on the router itself, so unmatched requests pass
/// through them too. Every GET route answers HEAD as well.
struct ServeRouter {
    typealias Context = StargraphRequestContext

    let store: any HostStore
    let engine: RunEngine
    let graphs: GraphRegistry
    let scheduler: RunScheduler
    let profile: ServeProfile
    let keys: APIKeyStore?
    /// Where mutating and refused requests are recorded with their principal, if anywhere.
    let audit: RequestAudit?
    /// Requests per second per client on mutating routes; `0` turns the limit off.
    let rateLimit: Double
    let hub: RunEventHub
    let artifacts: ArtifactStore
    let plugins: PluginRoutes
    let system: SystemRoutes
    let broker: BrokerRoutes
    /// Where the problems of refused WebSocket upgrades go, for ``ServeChannel`` to answer with.
    let upgradeRefusals: UpgradeRefusals

    /// The router: plain HTTP routes and the WebSocket stream.
    func router() -> Router<Context> {
        let router = Router(context: Context.self, options: .autoGenerateHeadEndpoints)
        addMiddleware(to: router)
        system.register(on: router)
        system.registerMetrics(on: router)
        let runs = RunRoutes(store: store, scheduler: scheduler)
        runs.register(on: router)
        RunWaitRoute(runs: runs, hub: hub).register(on: router)
        CounterfactualRoutes(engine: engine, scheduler: scheduler).register(on: router)
        GraphRoutes(graphs: graphs, resolver: scheduler.resolver).register(on: router)
        plugins.register(on: router)
        ArtifactRoutes.register(on: router, artifacts: artifacts)
        WebhookRoutes(store: store).register(on: router)
        broker.register(on: router)
        AuditRoutes(audit: system.audit).register(on: router)
        // The same router decides WebSocket upgrades (see `StreamRoutes`): a refused upgrade
        // falls through to this route, which answers the problem over plain HTTP.
        StreamRoutes.register(on: router, store: store, hub: hub)
        EventSourceRoute.register(on: router, store: store, hub: hub)
        return router
    }

    private func addMiddleware(to router: Router<Context>) {
        let routes = RouteTemplates(operations: OpenAPIDocument.operations)
        router.add(middleware: HTTPMetricsMiddleware())
        router.add(middleware: ProblemMiddleware(routes: routes) { [upgradeRefusals] problem, request, context in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else { return }
            upgradeRefusals.record(problem, on: context.channel)
        })
        router.add(middleware: AuthMiddleware(profile: profile, keys: keys, audit: audit))
        if rateLimit > 0 {
            router.add(middleware: RateLimitMiddleware(requestsPerSecond: rateLimit, burst: max(1, Int(rateLimit * 2))))
        }
        router.add(middleware: QueryParameterMiddleware(routes: routes))
    }
}
