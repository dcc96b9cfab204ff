import Foundation
import PostgresNIO
import StargraphCore
import StargraphStore

/// The columns of one result row, decoded by name; a value of the wrong type is a corrupt
/// column of `runId`.
struct PostgresColumns {
    let row: PostgresRandomAccessRow
    let table: String
    var runId: String

    init(_ row: PostgresRow, table: String, runId: String = "?") {
        self.row = row.makeRandomAccess()
        self.table = table
        self.runId = runId
    }

    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws(StoreError) -> T {
        do {
            return try row[name].decode(T.self)
        } catch {
            throw .corruptColumn(runId: runId, column: "\(table).\(name)", detail: "cannot be read as \(T.self): \(error)")
        }
    }

    func json(_ name: String) throws(StoreError) -> JSONValue {
        try ColumnCoding.json(value(name, as: String.self), runId: runId, column: "\(table).\(name)")
    }

    func date(_ name: String) throws(StoreError) -> Date {
        try ColumnCoding.timestamp(value(name, as: String.self), runId: runId, column: "\(table).\(name)")
    }

    func optionalDate(_ name: String) throws(StoreError) -> Date? {
        try ColumnCoding.timestamp(value(name, as: String?.self), runId: runId, column: "\(table).\(name)")
    }
}

extension RunRecord {
    /// `SELECT` of whole runs with their graph text, as `graph_source_text`; append a `WHERE`.
    static let postgresSelect = """
        SELECT runs.*, graph_sources.source AS graph_source_text
        FROM runs JOIN graph_sources ON graph_sources.source_hash = runs.graph_source_hash
        """

    /// Decodes a row of ``postgresSelect``.
    init(postgres row: PostgresRow) throws(StoreError) {
        var columns = PostgresColumns(row, table: "runs")
        let runId: String = try columns.value("run_id")
        columns.runId = runId
        let statusText: String = try columns.value("status")
        guard let status = RunStatus(rawValue: statusText) else {
            throw .corruptColumn(runId: runId, column: "runs.status", detail: "unknown status \(statusText)")
        }
        let mutation: String? = try columns.value("mutation")
        self.init(
            runId: runId, graphId: try columns.value("graph_id"), graphHash: try columns.value("graph_hash"),
            graphSource: try columns.value("graph_source_text"), graphOrigin: try columns.value("graph_origin"),
            status: status, inputs: try columns.json("inputs"), state: try columns.json("state"),
            facts: try columns.json("facts"), stepCount: try columns.value("step_count"),
            nextAction: try columns.json("next_action"), maxSteps: try columns.value("max_steps"),
            errorClass: try columns.value("error_class"), errorCause: try columns.value("error_cause"),
            parentRunId: try columns.value("parent_run_id"), fromStep: try columns.value("from_step"),
            mutation: try mutation.map { text throws(StoreError) in try ColumnCoding.json(text, runId: runId, column: "runs.mutation") },
            createdAt: try columns.date("created_at"), startedAt: try columns.optionalDate("started_at"),
            finishedAt: try columns.optionalDate("finished_at"), updatedAt: try columns.date("updated_at"),
            leaseEpoch: try columns.value("lease_epoch"))
    }
}

extension CheckpointRecord {
    /// Decodes a `checkpoints` row.
    init(postgres row: PostgresRow) throws(StoreError) {
        var columns = PostgresColumns(row, table: "checkpoints")
        columns.runId = try columns.value("run_id")
        let rules = try columns.json("rules_fired")
        guard let ruleIds = rules.arrayValue?.compactMap(\.stringValue), ruleIds.count == rules.arrayValue?.count else {
            throw .corruptColumn(runId: columns.runId, column: "checkpoints.rules_fired", detail: "expected an array of rule ids, found \(rules.typeName)")
        }
        self.init(
            runId: columns.runId, step: try columns.value("step"), branchId: try columns.value("branch_id"),
            node: try columns.value("node"), state: try columns.json("state"), facts: try columns.json("facts"),
            nextAction: try columns.json("next_action"), output: try columns.json("output"),
            inputHash: try columns.value("input_hash"), outputHash: try columns.value("output_hash"),
            graphHash: try columns.value("graph_hash"), rulesFired: ruleIds, effects: try columns.json("effects"),
            ts: try columns.date("ts"))
    }
}

extension EventRecord {
    /// Decodes an `events` row.
    init(postgres row: PostgresRow) throws(StoreError) {
        var columns = PostgresColumns(row, table: "events")
        columns.runId = try columns.value("run_id")
        self.init(
            runId: columns.runId, seq: try columns.value("seq"), step: try columns.value("step"), type: try columns.value("type"),
            ts: try columns.date("ts"), payload: try columns.json("payload"))
    }
}

extension ArtifactRecord {
    /// Decodes an `artifacts` row.
    init(postgres row: PostgresRow) throws(StoreError) {
        var columns = PostgresColumns(row, table: "artifacts")
        columns.runId = try columns.value("run_id")
        let idText: String = try columns.value("artifact_id")
        guard let id = ArtifactID(idText) else {
            throw .corruptColumn(runId: columns.runId, column: "artifacts.artifact_id", detail: "not a sha256:<hex> id: \(idText)")
        }
        self.init(
            artifactId: id, runId: columns.runId, step: try columns.value("step"), node: try columns.value("node"),
            name: try columns.value("name"), contentType: try columns.value("content_type"), size: try columns.value("size"),
            createdAt: try columns.date("created_at"))
    }
}
