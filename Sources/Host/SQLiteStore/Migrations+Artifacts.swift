import GRDB
import StargraphStore

extension StoreMigrations {
    /// 003: `artifacts`, one row per artifact a run wrote (the bytes live in content-addressed
    /// files next to the database, see ``ArtifactStore``).
    ///
    /// (run, step, node, name) is unique, so a step re-executed after a crash rewrites its row
    /// instead of adding a twin.
    package static func createArtifacts(_ db: Database) throws {
        try db.create(table: "artifacts") { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("artifact_id", .text).notNull().indexed()
            table.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
            table.column("step", .integer).notNull()
            table.column("node", .text).notNull()
            table.column("name", .text).notNull()
            table.column("content_type", .text).notNull()
            table.column("size", .integer).notNull()
            table.column("created_at", .text).notNull()
            table.uniqueKey(["run_id", "step", "node", "name"])
        }
    }
}
