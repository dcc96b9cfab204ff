import Foundation
import Testing
@testable import StargraphCore
@testable import StargraphStore

/// What every run-store backend must do, checked through the ``RunStore``, ``RunQueue`` and
/// ``WebhookOutbox`` protocols only: a backend's suite hands each check a fresh, empty store.
///
/// The checks never look at tables or SQL, so a second backend (PostgreSQL) passes exactly these.
struct StoreConformance {
    typealias Store = any RunStore & RunQueue & WebhookOutbox

    /// One check, named for the test report.
    struct Check: Sendable, CustomTestStringConvertible {
        let name: String
        let run: @Sendable (Store) async throws -> Void
        var testDescription: String { name }
    }

    /// Every check, in the order a backend's suite runs them.
    static let checks: [Check] = [
        Check(name: "runs", run: runs), Check(name: "checkpoints", run: checkpoints),
        Check(name: "eventsInOrder", run: eventsInOrder), Check(name: "listing", run: listing),
        Check(name: "graphSources", run: graphSources), Check(name: "artifacts", run: artifacts),
        Check(name: "admission", run: admission), Check(name: "idempotencyKeys", run: idempotencyKeys),
        Check(name: "claimsAndLeases", run: claimsAndLeases), Check(name: "fencing", run: fencing),
        Check(name: "executions", run: executions),
        Check(name: "triggersAndInterrupts", run: triggersAndInterrupts),
        Check(name: "webhookDeliveriesFollowEvents", run: webhookDeliveriesFollowEvents),
        Check(name: "webhookLeasesAndAttempts", run: webhookLeasesAndAttempts),
    ]

    // MARK: Runs

    /// A run reads back as written; its id is taken once; status changes are compare-and-set.
    static func runs(_ store: Store) async throws {
        let run = Self.run("run-a")
        try await store.insertRun(run, events: [Self.event("run_created")])
        #expect(try await store.run("run-a") == run)
        #expect(try await store.run("run-missing") == nil)
        await #expect(throws: StoreError.self) { try await store.insertRun(run, events: []) }

        #expect(try await store.transitionStatus(runId: "run-a", from: [.pending], to: .running))
        #expect(try await !store.transitionStatus(runId: "run-a", from: [.pending], to: .cancelled))
        let running = try #require(try await store.run("run-a"))
        #expect(running.status == .running && running.startedAt != nil)
        await #expect(throws: StoreError.self) {
            _ = try await store.transitionStatus(runId: "run-missing", from: [.pending], to: .running)
        }

        var paused = running
        paused.status = .paused
        try await store.updateRun(paused, events: [Self.event("run_paused")])
        #expect(try await store.run("run-a")?.status == .paused)
        #expect(try await store.history(runId: "run-a").map(\.status) == [.pending, .running, .paused])
        await #expect(throws: StoreError.self) { try await store.updateRun(Self.run("run-missing"), events: []) }
    }

    /// Each step is one checkpoint row, written once: committing a step again changes nothing.
    static func checkpoints(_ store: Store) async throws {
        var run = Self.run("run-c")
        try await store.insertRun(run, events: [])
        for step in 0..<3 { try await Self.commit(store, &run, step: step) }
        #expect(try await store.checkpoints(runId: "run-c").map(\.step) == [0, 1, 2])
        #expect(try await store.checkpoint(runId: "run-c", step: 1)?.node == "node-1")
        #expect(try await store.checkpoint(runId: "run-c", step: 7) == nil)

        let before = try await store.events(runId: "run-c")
        var again = run
        await #expect(throws: StoreError.self) { try await Self.commit(store, &again, step: 1) }
        #expect(try await store.checkpoints(runId: "run-c").count == 3)
        #expect(try await store.run("run-c")?.stepCount == 3)
        #expect(try await store.events(runId: "run-c") == before)

        let stray = Self.checkpoint("run-other", step: 3)
        await #expect(throws: StoreError.self) { try await store.commitStep(stray, run: run, events: []) }
        #expect(try await store.checkpoints(runId: "run-missing").isEmpty)
    }

    /// Events get seq 1, 2, … in the order they were written, across inserts, steps and updates.
    static func eventsInOrder(_ store: Store) async throws {
        var run = Self.run("run-e")
        try await store.insertRun(run, events: [Self.event("run_created"), Self.event("run_started")])
        try await Self.commit(store, &run, step: 0)
        try await store.updateRun(run, events: [Self.event("run_paused")])
        let events = try await store.events(runId: "run-e")
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.type) == ["run_created", "run_started", "step_completed", "run_paused"])
        #expect(events.allSatisfy { $0.runId == "run-e" })
        #expect(try await store.events(runId: "run-e", afterSeq: 1, limit: 2).map(\.seq) == [2, 3])
        #expect(try await store.lastEventSeq(runId: "run-e") == 4)
        #expect(try await store.lastEventSeq(runId: "run-missing") == 0)
    }

    /// Pages walk every run once, newest first, with filters and a total that ignores the page.
    static func listing(_ store: Store) async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<7 {
            var run = Self.run("run-l\(index)", createdAt: start.addingTimeInterval(Double(index)))
            run.graphId = index.isMultiple(of: 2) ? "even" : "odd"
            run.status = index == 3 ? .failed : .pending
            try await store.insertRun(run, events: [])
        }
        var seen: [String] = []
        var query = RunQuery(limit: 3)
        while true {
            let page = try await store.listRuns(query)
            #expect(page.total == 7)
            seen += page.runs.map(\.runId)
            guard let next = page.next else { break }
            query.after = next
        }
        #expect(seen == (0..<7).reversed().map { "run-l\($0)" })
        #expect(try await store.listRuns(RunQuery(graphId: "odd")).runs.map(\.runId) == ["run-l5", "run-l3", "run-l1"])
        #expect(try await store.listRuns(RunQuery(status: .failed)).runs.map(\.runId) == ["run-l3"])
        let after = try await store.listRuns(RunQuery(createdAfter: start.addingTimeInterval(4.5)))
        #expect(after.runs.map(\.runId) == ["run-l6", "run-l5"])
        #expect(try await store.storedGraphIds() == ["even", "odd"])
    }

    /// The graph text a run ran is kept with it, also when many runs share it.
    static func graphSources(_ store: Store) async throws {
        for index in 0..<3 { try await store.insertRun(Self.run("run-g\(index)"), events: []) }
        var other = Self.run("run-g-other")
        other.graphSource = "id: other\nnodes: []\n"
        try await store.insertRun(other, events: [])
        #expect(try await store.run("run-g1")?.graphSource == Self.run("x").graphSource)
        #expect(try await store.run("run-g-other")?.graphSource == other.graphSource)
    }

    // MARK: Artifacts

    /// One row per (run, step, node, name): a step executed again replaces its own.
    static func artifacts(_ store: Store) async throws {
        try await store.insertRun(Self.run("run-art"), events: [])
        let first = Self.artifact(bytes: "one", name: "report")
        try await store.recordArtifact(first)
        try await store.recordArtifact(Self.artifact(bytes: "two", name: "chart", step: 0))
        let replaced = Self.artifact(bytes: "three", name: "report")
        try await store.recordArtifact(replaced)
        #expect(try await store.artifacts(runId: "run-art").map(\.name) == ["chart", "report"])
        #expect(try await store.artifacts(runId: "run-art").last?.artifactId == replaced.artifactId)
        #expect(try await store.artifact(replaced.artifactId)?.runId == "run-art")
        #expect(try await store.artifact(ArtifactID(of: Array("never".utf8))) == nil)
        await #expect(throws: StoreError.self) {
            var stray = first
            stray.runId = "run-missing"
            try await store.recordArtifact(stray)
        }
    }

    // MARK: Fixtures

    static func run(_ runId: String, createdAt: Date = Date(timeIntervalSince1970: 1_800_000_000)) -> RunRecord {
        RunRecord(
            runId: runId, graphId: "conformance", graphHash: "sha256:" + String(repeating: "a", count: 64),
            graphSource: "id: conformance\nnodes: []\n", graphOrigin: "conformance.yaml", status: .pending,
            inputs: ["topic": "x"], state: ["topic": "x"], maxSteps: 10, createdAt: createdAt, updatedAt: createdAt)
    }

    static func event(_ type: String, step: Int? = nil) -> EventRecord {
        EventRecord(runId: "", seq: 0, step: step, type: type, ts: Date(), payload: ["type": .string(type)])
    }

    static func checkpoint(_ runId: String, step: Int) -> CheckpointRecord {
        CheckpointRecord(
            runId: runId, step: step, node: "node-\(step)", state: ["step": .number(Double(step))], facts: [],
            nextAction: ["kind": "goto"], output: ["step": .number(Double(step))], inputHash: "sha256:in",
            outputHash: "sha256:out", graphHash: "sha256:graph", rulesFired: ["r\(step)"],
            ts: Date(timeIntervalSince1970: 1_800_000_100 + Double(step)))
    }

    /// Commits step `step` of `run` as the engine does: the run row takes the checkpoint's state.
    static func commit(_ store: Store, _ run: inout RunRecord, step: Int, status: RunStatus? = nil) async throws {
        let checkpoint = Self.checkpoint(run.runId, step: step)
        run.state = checkpoint.state
        run.facts = checkpoint.facts
        run.nextAction = checkpoint.nextAction
        run.stepCount = step + 1
        if let status { run.status = status }
        try await store.commitStep(checkpoint, run: run, events: [Self.event("step_completed", step: step)])
    }

    static func artifact(bytes: String, name: String, step: Int = 1) -> ArtifactRecord {
        let data = Array(bytes.utf8)
        return ArtifactRecord(
            artifactId: ArtifactID(of: data), runId: "run-art", step: step, node: "writer", name: name,
            contentType: "text/plain", size: data.count, createdAt: Date(timeIntervalSince1970: 1_800_000_000))
    }
}
