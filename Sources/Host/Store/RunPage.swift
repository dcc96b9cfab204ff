import Foundation
import StargraphCore

/// Which runs ``RunStore/listRuns(_:)`` lists: those matching every filter given, newest first
/// (`created_at`, then run id, descending), `limit` at a time.
///
/// A page continues `after` the last run of the previous one (keyset paging): runs inserted
/// meanwhile are newer, so they sort before the cursor, and a walk from the first page to the last
/// sees every run that existed when it began exactly once. `offset` skips runs the older way (it
/// shifts when runs are inserted).
public struct RunQuery: Sendable, Hashable {
    public var status: RunStatus?
    public var graphId: String?
    public var parentRunId: String?
    public var createdAfter: Date?
    public var createdBefore: Date?
    public var limit: Int
    public var after: RunPageCursor?
    public var offset: Int

    public init(
        status: RunStatus? = nil, graphId: String? = nil, parentRunId: String? = nil,
        createdAfter: Date? = nil, createdBefore: Date? = nil,
        limit: Int = 50, after: RunPageCursor? = nil, offset: Int = 0
    ) {
        self.status = status
        self.graphId = graphId
        self.parentRunId = parentRunId
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.limit = limit
        self.after = after
        self.offset = offset
    }
}

/// One page of ``RunStore/listRuns(_:)``.
public struct RunPage: Sendable {
    /// The page's runs, newest first.
    public var runs: [RunRecord]
    /// How many runs match the filters, on every page.
    public var total: Int
    /// Where the next page starts, `nil` on the last page.
    public var next: RunPageCursor?

    public init(runs: [RunRecord], total: Int, next: RunPageCursor?) {
        self.runs = runs
        self.total = total
        self.next = next
    }
}

/// The position after a run in the newest-first order of runs: its `created_at` and run id.
public struct RunPageCursor: Sendable, Hashable {
    public var createdAt: Date
    public var runId: String

    public init(createdAt: Date, runId: String) {
        self.createdAt = createdAt
        self.runId = runId
    }
}

extension RunQuery {
    /// The filters that apply, each a SQL condition on `runs` with one `?` placeholder and its
    /// value, as both backends' listings use them.
    package var filters: [(condition: String, value: String)] {
        let all: [(String, String?)] = [
            ("status = ?", status?.rawValue), ("graph_id = ?", graphId), ("parent_run_id = ?", parentRunId),
            ("created_at > ?", createdAfter.map(Timestamps.format)), ("created_at < ?", createdBefore.map(Timestamps.format)),
        ]
        return all.compactMap { condition, value in value.map { (condition, $0) } }
    }
}
