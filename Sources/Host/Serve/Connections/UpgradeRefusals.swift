import NIOCore
import Synchronization

/// The problem the router answered a refused WebSocket upgrade with, kept per connection until
/// ``ServeChannel`` writes it: Hummingbird's upgrade path keeps only "not upgraded" and would
/// answer an empty 400, so a missing API key would not read as the 401 it is.
final class UpgradeRefusals: Sendable {
    private let problems = Mutex<[ObjectIdentifier: Problem]>([:])

    /// Records `problem` as the answer to the upgrade request on `channel`.
    func record(_ problem: Problem, on channel: any Channel) {
        problems.withLock { $0[ObjectIdentifier(channel)] = problem }
    }

    /// The problem recorded for `channel`, removed; `nil` when none was.
    func take(for channel: any Channel) -> Problem? {
        problems.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
