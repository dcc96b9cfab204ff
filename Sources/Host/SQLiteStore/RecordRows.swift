import Foundation
import GRDB
import StargraphCore
import StargraphStore

extension RunRecord {
    /// Column names of `runs`, in the order of ``databaseValues(sourceHash:claimedBy:)``. The graph's text
    /// lives once in `graph_sources` (migration 006); the run keeps its `graph_source_hash` and an
    /// empty `graph_source` (runs stored before 006 keep their text there).
    package static let columns = [
        "run_id", "graph_id", "graph_hash", "graph_source", "graph_source_hash", "graph_origin", "status", "inputs",
        "state", "facts", "step_count", "next_action", "max_steps", "error_class", "error_cause", "parent_run_id",
        "from_step", "mutation", "created_at", "started_at", "finished_at", "updated_at", "claimed_by", "lease_epoch",
    ]

    /// The `INSERT` of a whole row.
    package static let insertSQL = StargraphSQLite.insertSQL(table: "runs", columns: columns)

    /// `SELECT` of whole runs with their graph text, as `graph_source_text`; append a `WHERE`.
    package static let selectSQL = """
        SELECT runs.*, COALESCE(graph_sources.source, runs.graph_source) AS graph_source_text
        FROM runs LEFT JOIN graph_sources ON graph_sources.source_hash = runs.graph_source_hash
        """

    /// The row's values, in the order of ``columns``; `sourceHash` is ``graphSourceHash``, and
    /// `claimedBy` the scheduler process that owes the run work (migration 008), if any.
    package func databaseValues(sourceHash: String, claimedBy: String?) -> [DatabaseValue] {
        [
            runId.databaseValue, graphId.databaseValue, graphHash.databaseValue, "".databaseValue,
            sourceHash.databaseValue, graphOrigin.databaseValue, status.rawValue.databaseValue,
            ColumnCoding.json(inputs).databaseValue, ColumnCoding.json(state).databaseValue,
            ColumnCoding.json(facts).databaseValue, stepCount.databaseValue, ColumnCoding.json(nextAction).databaseValue,
            maxSteps.databaseValue, errorClass.databaseValue, errorCause.databaseValue, parentRunId.databaseValue,
            fromStep.databaseValue, mutation.map(ColumnCoding.json).databaseValue,
            ColumnCoding.timestamp(createdAt).databaseValue, startedAt.map(ColumnCoding.timestamp).databaseValue,
            finishedAt.map(ColumnCoding.timestamp).databaseValue, ColumnCoding.timestamp(updatedAt).databaseValue,
            claimedBy.databaseValue, leaseEpoch.databaseValue,
        ]
    }

    /// The columns a run changes after it was inserted (identity, graph, inputs and lineage never change).
    package static let mutableColumns = [
        "status", "state", "facts", "step_count", "next_action", "max_steps", "error_class", "error_cause",
        "started_at", "finished_at", "updated_at",
    ]

    /// `UPDATE runs SET <mutable columns> WHERE run_id = ? AND lease_epoch = ?`: a run taken
    /// over since the record was read is not written.
    package static let updateMutableSQL =
        "UPDATE runs SET \(mutableColumns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE run_id = ? AND lease_epoch = ?"

    /// The values of ``mutableColumns``, in order.
    package var mutableDatabaseValues: [DatabaseValue] {
        mutableDatabaseValues(encodedState: ColumnCoding.json(state), encodedFacts: ColumnCoding.json(facts))
    }

    /// ``mutableDatabaseValues`` with `state` and `facts` already encoded (a step's checkpoint
    /// carries the same values, so they are encoded once).
    package func mutableDatabaseValues(encodedState: String, encodedFacts: String) -> [DatabaseValue] {
        [
            status.rawValue.databaseValue, encodedState.databaseValue, encodedFacts.databaseValue, stepCount.databaseValue,
            ColumnCoding.json(nextAction).databaseValue, maxSteps.databaseValue, errorClass.databaseValue,
            errorCause.databaseValue, startedAt.map(ColumnCoding.timestamp).databaseValue,
            finishedAt.map(ColumnCoding.timestamp).databaseValue, ColumnCoding.timestamp(updatedAt).databaseValue,
        ]
    }

    /// Decodes a row of ``selectSQL``.
    package init(row: Row) throws(StoreError) {
        let runId: String = row["run_id"]
        func json(_ column: String) throws(StoreError) -> JSONValue {
            try ColumnCoding.json(row[column], runId: runId, column: "runs.\(column)")
        }
        func date(_ column: String) throws(StoreError) -> Date? {
            try ColumnCoding.timestamp(row[column] as String?, runId: runId, column: "runs.\(column)")
        }
        let statusText: String = row["status"]
        guard let status = RunStatus(rawValue: statusText) else {
            throw .corruptColumn(runId: runId, column: "runs.status", detail: "unknown status \(statusText)")
        }
        let mutationText: String? = row["mutation"]
        self.init(
            runId: runId, graphId: row["graph_id"], graphHash: row["graph_hash"], graphSource: row["graph_source_text"],
            graphOrigin: row["graph_origin"], status: status, inputs: try json("inputs"), state: try json("state"),
            facts: try json("facts"), stepCount: row["step_count"], nextAction: try json("next_action"),
            maxSteps: row["max_steps"], errorClass: row["error_class"], errorCause: row["error_cause"],
            parentRunId: row["parent_run_id"], fromStep: row["from_step"],
            mutation: try mutationText.map { text throws(StoreError) in
                try ColumnCoding.json(text, runId: runId, column: "runs.mutation")
            },
            createdAt: try ColumnCoding.timestamp(row["created_at"] as String, runId: runId, column: "runs.created_at"),
            startedAt: try date("started_at"), finishedAt: try date("finished_at"),
            updatedAt: try ColumnCoding.timestamp(row["updated_at"] as String, runId: runId, column: "runs.updated_at"),
            leaseEpoch: row["lease_epoch"])
    }
}

extension CheckpointRecord {
    /// Column names of `checkpoints`, in the order of ``databaseValues(encodedState:encodedFacts:encodedOutput:)``.
    package static let columns = [
        "run_id", "step", "branch_id", "node", "state", "facts", "next_action", "output", "input_hash",
        "output_hash", "graph_hash", "rules_fired", "effects", "ts",
    ]

    /// The `INSERT` of a whole row.
    package static let insertSQL = StargraphSQLite.insertSQL(table: "checkpoints", columns: columns)

    /// The row's values, in the order of ``columns``, with `state` and `facts` already encoded
    /// (the run row takes the same text), and `output` when the caller has its text (the engine
    /// encodes it once, for its hash and for this row).
    package func databaseValues(encodedState: String, encodedFacts: String, encodedOutput: String? = nil) -> [DatabaseValue] {
        [
            runId.databaseValue, step.databaseValue, branchId.databaseValue, node.databaseValue,
            encodedState.databaseValue, encodedFacts.databaseValue, ColumnCoding.json(nextAction).databaseValue,
            (encodedOutput ?? ColumnCoding.json(output)).databaseValue, inputHash.databaseValue, outputHash.databaseValue,
            graphHash.databaseValue, ColumnCoding.json(.array(rulesFired.map(JSONValue.string))).databaseValue,
            ColumnCoding.json(effects).databaseValue, ColumnCoding.timestamp(ts).databaseValue,
        ]
    }

    /// Decodes a `checkpoints` row.
    package init(row: Row) throws(StoreError) {
        let runId: String = row["run_id"]
        let step: Int = row["step"]
        func json(_ column: String) throws(StoreError) -> JSONValue {
            try ColumnCoding.json(row[column], runId: runId, column: "checkpoints.\(column) (step \(step))")
        }
        let rules = try json("rules_fired")
        guard let ruleIds = rules.arrayValue?.compactMap(\.stringValue), ruleIds.count == rules.arrayValue?.count else {
            throw .corruptColumn(runId: runId, column: "checkpoints.rules_fired (step \(step))",
                                 detail: "expected an array of rule ids, found \(rules.typeName)")
        }
        self.init(
            runId: runId, step: step, branchId: row["branch_id"], node: row["node"], state: try json("state"),
            facts: try json("facts"), nextAction: try json("next_action"), output: try json("output"),
            inputHash: row["input_hash"], outputHash: row["output_hash"], graphHash: row["graph_hash"],
            rulesFired: ruleIds, effects: try json("effects"),
            ts: try ColumnCoding.timestamp(row["ts"] as String, runId: runId, column: "checkpoints.ts (step \(step))"))
    }
}

extension EventRecord {
    /// Decodes an `events` row.
    package init(row: Row) throws(StoreError) {
        let runId: String = row["run_id"]
        let seq: Int = row["seq"]
        self.init(
            runId: runId, seq: seq, step: row["step"], type: row["type"],
            ts: try ColumnCoding.timestamp(row["ts"] as String, runId: runId, column: "events.ts (seq \(seq))"),
            payload: try ColumnCoding.json(row["payload"], runId: runId, column: "events.payload (seq \(seq))"))
    }
}

/// `INSERT INTO table (columns…) VALUES (?, …)`, built once per table.
package func insertSQL(table: String, columns: [String]) -> String {
    let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
    return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
}
