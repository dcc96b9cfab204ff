import StargraphEngine
import StargraphStore

/// What a scheduler drives runs with: the engine, the store the engine writes (with its queue),
/// and the graphs the host registers. The host assembles it once for every component.
package struct SchedulerRuntime: Sendable {
    package let engine: RunEngine
    package let store: any RunStore & RunQueue
    package let graphs: GraphRegistry

    package init(engine: RunEngine, store: any RunStore & RunQueue, graphs: GraphRegistry) {
        self.engine = engine
        self.store = store
        self.graphs = graphs
    }
}
