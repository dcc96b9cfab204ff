/// Where an audit log's chain stands: enough to anchor it outside the file or hand it to a
/// witness, so that a log later found shorter, or different at this record, is known tampered.
public struct AuditHead: Sendable, Equatable {
    /// The log's absolute path when the head was taken.
    public var logPath: String
    /// Hex SHA-256 of the log's first line: which chain this is, wherever the file is moved.
    public var chainSHA256: String
    /// The last record's `seq`.
    public var seq: Int
    /// Hex SHA-256 of the last record's line, the `prev_sha256` the next record carries.
    public var lineSHA256: String

    public init(logPath: String, chainSHA256: String, seq: Int, lineSHA256: String) {
        self.logPath = logPath
        self.chainSHA256 = chainSHA256
        self.seq = seq
        self.lineSHA256 = lineSHA256
    }
}
