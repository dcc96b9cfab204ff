/// How hard a store works to keep a committed step on disk before the commit returns.
public enum Durability: String, Sendable, CaseIterable {
    /// Committed steps survive a crash of the process; a power loss may lose the last commits,
    /// never corrupting the store (SQLite: `PRAGMA synchronous=NORMAL` in WAL mode).
    case normal
    /// Every commit is on disk before it returns (SQLite: `PRAGMA synchronous=FULL`).
    case full
}
