import Foundation
import Synchronization

/// Why a component's last write failed, and when; `/health` reports it until a write succeeds.
public struct WriteFailure: Sendable, CustomStringConvertible {
    /// When the write failed.
    public let at: Date
    /// The error, as its message says it.
    public let reason: String

    public var description: String { "writes fail since \(Timestamps.format(at)): \(reason)" }
}

/// The outcome of a component's last write (the store's commits, the audit log's appends),
/// kept so `/health` can say `error` while writes fail rather than only after a read fails.
package final class WriteHealth: Sendable {
    private let failure = Mutex<WriteFailure?>(nil)

    package init() {}

    /// The failure of the last write, `nil` when it succeeded.
    package var lastFailure: WriteFailure? { failure.withLock { $0 } }

    /// Notes that a write succeeded.
    package func succeeded() {
        failure.withLock { $0 = nil }
    }

    /// Notes that a write failed with `error`.
    package func failed(_ error: any Error) {
        failure.withLock { $0 = WriteFailure(at: Date(), reason: "\(error)") }
    }

    /// After a failure, runs the probe write `check`: its success clears the failure.
    package func probe(_ check: () throws -> Void) {
        guard lastFailure != nil else { return }
        do {
            try check()
            succeeded()
        } catch {
            failed(error)
        }
    }
}
