import Foundation
import PostgresNIO
import StargraphCore
import StargraphStore

/// Reads of runs, steps, events and artifacts. Each sees every write committed before it began.
extension PostgresRunStore {
    package func run(_ runId: String) async throws -> RunRecord? {
        try await read("reading run \(runId)") { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: RunRecord.postgresSelect + " WHERE runs.run_id = $1", binds: Self.binds(runId)),
                logger: self.logger
            ).collect().first.map { row throws(StoreError) in try RunRecord(postgres: row) }
        }
    }

    /// Runs matching every filter, newest first (`created_at`, then run id, descending), paged by
    /// key after `query.after` as the SQLite store pages them.
    package func listRuns(_ query: RunQuery) async throws -> RunPage {
        var binds = PostgresBindings()
        var conditions: [String] = []
        for filter in query.filters {
            binds.append(filter.value)
            conditions.append(filter.condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let filterBinds = binds
        if let cursor = query.after {
            binds.append(Timestamps.format(cursor.createdAt))
            binds.append(cursor.runId)
            conditions.append("(runs.created_at, runs.run_id) < ($\(binds.count - 1), $\(binds.count))")
        }
        let pageSize = max(query.limit, 0)
        binds.append(pageSize + 1)
        binds.append(max(query.offset, 0))
        let pageFilter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = RunRecord.postgresSelect + pageFilter
            + " ORDER BY runs.created_at DESC, runs.run_id DESC LIMIT $\(binds.count - 1) OFFSET $\(binds.count)"
        let pageBinds = binds
        return try await read("listing runs") { connection in
            let total = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM runs" + filter, binds: filterBinds), logger: self.logger
            ).collect().first?.decode(Int.self) ?? 0
            var runs = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: pageBinds), logger: self.logger)
                .collect().map { row throws(StoreError) in try RunRecord(postgres: row) }
            let more = runs.count > pageSize
            if more { runs.removeLast() }
            return RunPage(runs: runs, total: total, next: more ? runs.last.map { RunPageCursor(createdAt: $0.createdAt, runId: $0.runId) } : nil)
        }
    }

    package func storedGraphIds() async throws -> [String] {
        try await read("listing the graphs of stored runs") { connection in
            try await connection.query("SELECT DISTINCT graph_id FROM runs ORDER BY graph_id", logger: self.logger)
                .collect().map { try $0.decode(String.self) }
        }
    }

    package func history(runId: String) async throws -> [(status: RunStatus, ts: Date)] {
        let rows: [(RunStatus, Date)] = try await read("reading status history of run \(runId)") { connection in
            try await connection.query(
                "SELECT status, ts FROM runs_history WHERE run_id = \(runId) ORDER BY id", logger: self.logger
            ).collect().map { row throws(StoreError) in
                let columns = PostgresColumns(row, table: "runs_history", runId: runId)
                let text: String = try columns.value("status")
                guard let status = RunStatus(rawValue: text) else {
                    throw .corruptColumn(runId: runId, column: "runs_history.status", detail: "unknown status \(text)")
                }
                return (status, try columns.date("ts"))
            }
        }
        return rows.map { (status: $0.0, ts: $0.1) }
    }

    package func checkpoints(runId: String) async throws -> [CheckpointRecord] {
        try await read("reading checkpoints of run \(runId)") { connection in
            try await connection.query(
                "SELECT * FROM checkpoints WHERE run_id = \(runId) ORDER BY step, branch_id", logger: self.logger
            ).collect().map { row throws(StoreError) in try CheckpointRecord(postgres: row) }
        }
    }

    package func checkpoint(runId: String, step: Int) async throws -> CheckpointRecord? {
        try await read("reading step \(step) of run \(runId)") { connection in
            try await connection.query(
                "SELECT * FROM checkpoints WHERE run_id = \(runId) AND step = \(step) AND branch_id = 'main'", logger: self.logger
            ).collect().first.map { row throws(StoreError) in try CheckpointRecord(postgres: row) }
        }
    }

    package func events(runId: String, afterSeq: Int, limit: Int?) async throws -> [EventRecord] {
        try await read("reading events of run \(runId)") { connection in
            try await connection.query(
                "SELECT * FROM events WHERE run_id = \(runId) AND seq > \(afterSeq) ORDER BY seq LIMIT \(limit)", logger: self.logger
            ).collect().map { row throws(StoreError) in try EventRecord(postgres: row) }
        }
    }

    package func lastEventSeq(runId: String) async throws -> Int {
        try await read("reading the last event of run \(runId)") { connection in
            try await connection.query(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = \(runId)", logger: self.logger
            ).collect().first?.decode(Int.self) ?? 0
        }
    }

    // MARK: Artifacts

    package func recordArtifact(_ record: ArtifactRecord) async throws {
        try await write("recording artifact \(record.name) of run \(record.runId)") { connection in
            try await connection.query("""
                INSERT INTO artifacts (artifact_id, run_id, step, node, name, content_type, size, created_at)
                VALUES (\(record.artifactId.description), \(record.runId), \(record.step), \(record.node), \(record.name),
                    \(record.contentType), \(record.size), \(Timestamps.format(record.createdAt)))
                ON CONFLICT (run_id, step, node, name) DO UPDATE SET
                    artifact_id = excluded.artifact_id, content_type = excluded.content_type,
                    size = excluded.size, created_at = excluded.created_at
                """, logger: self.logger)
        }
    }

    package func artifacts(runId: String) async throws -> [ArtifactRecord] {
        try await read("listing artifacts of run \(runId)") { connection in
            try await connection.query(
                "SELECT * FROM artifacts WHERE run_id = \(runId) ORDER BY step, node, name", logger: self.logger
            ).collect().map { row throws(StoreError) in try ArtifactRecord(postgres: row) }
        }
    }

    package func artifact(_ id: ArtifactID) async throws -> ArtifactRecord? {
        try await read("reading artifact \(id)") { connection in
            try await connection.query(
                "SELECT * FROM artifacts WHERE artifact_id = \(id.description) ORDER BY id LIMIT 1", logger: self.logger
            ).collect().first.map { row throws(StoreError) in try ArtifactRecord(postgres: row) }
        }
    }

    /// Bindings of `values`, for queries built as text.
    static func binds(_ values: String...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }
}

/// The anchors the audit verifier compares a log with (see the SQLite store's).
extension PostgresRunStore {
    /// Every anchor of the chain whose first line hashes to `chainSHA256`, by `seq`.
    public func auditAnchors(chainSHA256: String) async throws -> [AuditHead] {
        try await read("reading the audit anchors of chain \(chainSHA256)") { connection in
            try await connection.query("""
                SELECT log_path, chain_sha256, seq, line_sha256 FROM audit_anchors WHERE chain_sha256 = \(chainSHA256) ORDER BY seq
                """, logger: self.logger).collect().map(Self.auditHead)
        }
    }

    /// The latest anchor of each chain anchored under `logPath`, newest first.
    public func auditAnchors(logPath: String) async throws -> [AuditHead] {
        try await read("reading the audit anchors of \(logPath)") { connection in
            try await connection.query("""
                SELECT log_path, chain_sha256, seq, line_sha256 FROM audit_anchors AS anchor WHERE log_path = \(logPath)
                    AND seq = (SELECT MAX(seq) FROM audit_anchors WHERE chain_sha256 = anchor.chain_sha256)
                ORDER BY anchored_at DESC
                """, logger: self.logger).collect().map(Self.auditHead)
        }
    }

    private static func auditHead(_ row: PostgresRow) throws -> AuditHead {
        let (logPath, chain, seq, line) = try row.decode((String, String, Int, String).self)
        return AuditHead(logPath: logPath, chainSHA256: chain, seq: seq, lineSHA256: line)
    }
}
