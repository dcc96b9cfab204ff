import Logging
import StargraphEngine
import StargraphScheduler

extension StargraphRuntime {
    /// This runtime's engine, store and graphs, as a scheduler drives runs with them.
    package var scheduling: SchedulerRuntime {
        SchedulerRuntime(engine: engine, store: store, graphs: graphs)
    }
}

extension RunScheduler {
    /// A scheduler for the graphs of `runtime`, executing at most `workers` runs at once and
    /// firing `triggers`. Nothing runs before ``run()``; requests submitted earlier wait.
    public convenience init(runtime: StargraphRuntime, workers: Int, triggers: [CronTrigger], logger: Logger) {
        self.init(runtime: runtime.scheduling, graphs: runtime.graphs, workers: workers, triggers: triggers, logger: logger)
    }
}
