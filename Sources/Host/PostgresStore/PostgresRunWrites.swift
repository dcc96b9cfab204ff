import Foundation
import PostgresNIO
import StargraphCore
import StargraphStore

/// The writes of runs, steps and events; each one transaction.
extension PostgresRunStore {
    package func insertRun(_ run: RunRecord, events: [EventRecord], anchor: AuditHead?) async throws {
        _ = try await insert(run, events: events, admission: nil, webhook: nil, anchor: anchor)
    }

    package func insertRun(
        _ run: RunRecord, events: [EventRecord], admission: RunAdmission, webhook: WebhookSubscription?, anchor: AuditHead?
    ) async throws -> QueuedRun {
        try await insert(run, events: events, admission: admission, webhook: webhook, anchor: anchor)
            ?? QueuedRun(order: QueuedRun.unqueued, runId: run.runId, graphId: run.graphId, response: nil)
    }

    private func insert(
        _ run: RunRecord, events: [EventRecord], admission: RunAdmission?, webhook: WebhookSubscription?, anchor: AuditHead?
    ) async throws -> QueuedRun? {
        try await write("inserting run") { connection in
            let queued: QueuedRun? = if let admission { try await self.admit(connection, run: run, admission) } else { nil }
            try await connection.query("""
                INSERT INTO graph_sources (source_hash, source) VALUES (\(run.graphSourceHash), \(run.graphSource))
                ON CONFLICT (source_hash) DO NOTHING
                """, logger: self.logger)
            let claimedBy = admission?.startsRunning == true ? admission?.claimedBy : nil
            do {
                try await connection.query("""
                    INSERT INTO runs (run_id, graph_id, graph_hash, graph_source_hash, graph_origin, status, inputs, state,
                        facts, step_count, next_action, max_steps, error_class, error_cause, parent_run_id, from_step, mutation,
                        created_at, started_at, finished_at, updated_at, claimed_by, lease_epoch)
                    VALUES (\(run.runId), \(run.graphId), \(run.graphHash), \(run.graphSourceHash), \(run.graphOrigin),
                        \(run.status.rawValue), \(ColumnCoding.json(run.inputs)), \(ColumnCoding.json(run.state)),
                        \(ColumnCoding.json(run.facts)), \(run.stepCount), \(ColumnCoding.json(run.nextAction)), \(run.maxSteps),
                        \(run.errorClass), \(run.errorCause), \(run.parentRunId), \(run.fromStep), \(run.mutation.map(ColumnCoding.json)),
                        \(Timestamps.format(run.createdAt)), \(run.startedAt.map(Timestamps.format)),
                        \(run.finishedAt.map(Timestamps.format)), \(Timestamps.format(run.updatedAt)), \(claimedBy), \(run.leaseEpoch))
                    """, logger: self.logger)
            } catch where Self.isUniqueViolation(error, of: "runs_pkey") {
                throw StoreError.runAlreadyExists(run.runId)
            }
            // Before the events, which the outbox trigger matches against the subscription.
            if let webhook {
                for type in webhook.events {
                    try await connection.query("""
                        INSERT INTO webhook_subscriptions (run_id, event_type, url) VALUES (\(run.runId), \(type), \(webhook.url))
                        """, logger: self.logger)
                }
            }
            try await self.append(events, runId: run.runId, on: connection)
            try await self.record(anchor, on: connection)
            return queued
        }
    }

    package func commitStep(
        _ checkpoint: CheckpointRecord, run: RunRecord, events: [EventRecord], encoded: (state: String, output: String)?,
        anchor: AuditHead?
    ) async throws {
        guard checkpoint.runId == run.runId else {
            throw StoreError.mismatchedRunIds(checkpointRunId: checkpoint.runId, runId: run.runId)
        }
        let state = encoded?.state ?? ColumnCoding.json(checkpoint.state)
        let output = encoded?.output ?? ColumnCoding.json(checkpoint.output)
        try await write("committing a step") { connection in
            try await self.replace(run, on: connection)
            do {
                try await connection.query("""
                    INSERT INTO checkpoints (run_id, step, branch_id, node, state, facts, next_action, output, input_hash,
                        output_hash, graph_hash, rules_fired, effects, ts)
                    VALUES (\(checkpoint.runId), \(checkpoint.step), \(checkpoint.branchId), \(checkpoint.node), \(state),
                        \(ColumnCoding.json(checkpoint.facts)), \(ColumnCoding.json(checkpoint.nextAction)), \(output),
                        \(checkpoint.inputHash), \(checkpoint.outputHash), \(checkpoint.graphHash),
                        \(ColumnCoding.json(.array(checkpoint.rulesFired.map(JSONValue.string)))),
                        \(ColumnCoding.json(checkpoint.effects)), \(Timestamps.format(checkpoint.ts)))
                    """, logger: self.logger)
            } catch where Self.isUniqueViolation(error, of: "checkpoints_pkey") {
                throw StoreError.stepAlreadyCommitted(runId: checkpoint.runId, step: checkpoint.step)
            }
            try await self.append(events, runId: run.runId, on: connection)
            try await self.record(anchor, on: connection)
        }
    }

    package func updateRun(_ run: RunRecord, events: [EventRecord], anchor: AuditHead?) async throws {
        try await write("updating run \(run.runId)") { connection in
            try await self.replace(run, on: connection)
            try await self.append(events, runId: run.runId, on: connection)
            try await self.record(anchor, on: connection)
        }
    }

    package func transitionStatus(
        runId: String, from: Set<RunStatus>, to: RunStatus, errorClass: String?, errorCause: String?
    ) async throws -> Bool {
        try await write("moving run \(runId) to \(to.rawValue)") { connection in
            let rows = try await connection.query(
                "SELECT status FROM runs WHERE run_id = \(runId) FOR UPDATE", logger: self.logger).collect()
            guard let row = rows.first else { throw StoreError.runNotFound(runId) }
            guard let status = RunStatus(rawValue: try row.decode(String.self)), from.contains(status) else { return false }
            let now = Timestamps.format(Date())
            try await connection.query("""
                UPDATE runs SET status = \(to.rawValue), updated_at = \(now),
                    error_class = COALESCE(\(errorClass)::text, error_class), error_cause = COALESCE(\(errorCause)::text, error_cause),
                    started_at = CASE WHEN \(to == .running) THEN COALESCE(started_at, \(now)) ELSE started_at END,
                    finished_at = CASE WHEN \(to.isTerminal) THEN \(now) ELSE finished_at END
                WHERE run_id = \(runId)
                """, logger: self.logger)
            return true
        }
    }

    package func anchorAudit(_ head: AuditHead) async throws {
        try await write("anchoring the audit log") { connection in try await self.record(head, on: connection) }
    }

    // MARK: - Helpers

    /// Replaces the run row's mutable columns (identity, graph, inputs and lineage never change),
    /// unless the run was taken over since `run` was read (its lease epoch moved on).
    private func replace(_ run: RunRecord, on connection: PostgresConnection) async throws {
        let updated = try await connection.query("""
            UPDATE runs SET status = \(run.status.rawValue), state = \(ColumnCoding.json(run.state)),
                facts = \(ColumnCoding.json(run.facts)), step_count = \(run.stepCount),
                next_action = \(ColumnCoding.json(run.nextAction)), max_steps = \(run.maxSteps),
                error_class = \(run.errorClass), error_cause = \(run.errorCause),
                started_at = \(run.startedAt.map(Timestamps.format)), finished_at = \(run.finishedAt.map(Timestamps.format)),
                updated_at = \(Timestamps.format(run.updatedAt))
            WHERE run_id = \(run.runId) AND lease_epoch = \(run.leaseEpoch) RETURNING run_id
            """, logger: logger).collect()
        guard updated.isEmpty else { return }
        let exists = try await !connection.query("SELECT 1 FROM runs WHERE run_id = \(run.runId)", logger: logger).collect().isEmpty
        throw exists ? StoreError.leaseLost(runId: run.runId, epoch: run.leaseEpoch) : StoreError.runNotFound(run.runId)
    }

    /// Appends `events` to the run's log, numbered after its last `seq`, and notifies
    /// ``PostgresRunStore/updatesChannel`` (delivered on commit). The run row is locked by the
    /// write that calls this (its insert or update), so two writers never take one seq.
    private func append(_ events: [EventRecord], runId: String, on connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        let last = try await connection.query(
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = \(runId)", logger: logger
        ).collect().first?.decode(Int.self) ?? 0
        for (offset, event) in events.enumerated() {
            try await connection.query("""
                INSERT INTO events (run_id, seq, step, type, ts, payload)
                VALUES (\(runId), \(last + offset + 1), \(event.step), \(event.type), \(Timestamps.format(event.ts)),
                    \(ColumnCoding.json(event.payload)))
                """, logger: logger)
        }
        try await connection.query("SELECT pg_notify(\(Self.updatesChannel), \(runId))", logger: logger)
    }

    private func record(_ anchor: AuditHead?, on connection: PostgresConnection) async throws {
        guard let anchor else { return }
        try await connection.query("""
            INSERT INTO audit_anchors (chain_sha256, seq, line_sha256, log_path, anchored_at)
            VALUES (\(anchor.chainSHA256), \(anchor.seq), \(anchor.lineSHA256), \(anchor.logPath), \(Timestamps.format(Date())))
            ON CONFLICT (chain_sha256, seq) DO NOTHING
            """, logger: logger)
    }
}
