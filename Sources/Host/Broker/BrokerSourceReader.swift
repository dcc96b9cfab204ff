import Foundation
import Synchronization
import StargraphCore
import StargraphSQLite

/// Reads one source's rows for one allowed request. Request data reaches a source only as bound
/// SQL parameters (`sqlite`) or URL query items (`rest`, see ``BrokerHTTPClient``), never as SQL
/// or path text.
package enum BrokerSourceReader {
    /// A source failure, with a message safe to return to the client (no paths or URLs).
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        package init(_ description: String) { self.description = description }

        /// The source did not answer within its `timeout_s`.
        package static func timedOut(after seconds: Double) -> Failure {
            Failure("timed out after \(CanonicalJSON.formatNumber(seconds)) s")
        }
    }

    /// The rows of `source` for `request`, at most `source.maxRows`, within `source.timeoutSeconds`.
    /// - Throws: ``Failure`` for a missing database, a failed query or HTTP call, bad data, or a timeout.
    package static func rows(of source: BrokerSource, for request: BrokerRequest) async throws -> [JSONValue] {
        try await within(seconds: source.timeoutSeconds) { try await read(source, request) }
    }

    /// `work`'s result, or a timeout ``Failure`` after `seconds`. On timeout `work` is cancelled
    /// but not waited for, so a source that ignores cancellation cannot hold the response.
    package static func within<T: Sendable>(seconds: Double, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let worker = Task {
                let result: Result<T, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                race.finish(result)
            }
            race.arm(Task {
                try? await Task.sleep(for: .milliseconds(Int((seconds * 1000).rounded(.up))))
                guard !Task.isCancelled else { return }
                // The timeout is the answer: settle the race before cancelling, so the worker's
                // reaction to the cancellation cannot win it.
                race.finish(.failure(Failure.timedOut(after: seconds)))
                worker.cancel()
            })
        }
    }

    /// Who finished first between a read and its timer: the first ``finish(_:)`` resumes the
    /// caller and stops the timer; later ones do nothing.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var timer: Task<Void, Never>?
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        /// Keeps `timer` to stop it on finish, or stops it now when the race is already over.
        func arm(_ timer: Task<Void, Never>) {
            state.withLock { state in
                if state.continuation == nil { timer.cancel() } else { state.timer = timer }
            }
        }

        func finish(_ result: Result<T, any Error>) {
            state.withLock { state in
                state.continuation?.resume(with: result)
                state.continuation = nil
                state.timer?.cancel()
                state.timer = nil
            }
        }
    }

    private static func read(_ source: BrokerSource, _ request: BrokerRequest) async throws -> [JSONValue] {
        switch source.kind {
        case .staticRows(let rows):
            return Array(rows.prefix(source.maxRows))
        case .sqlite(let path, let read):
            return try await readSQLite(path: path, read: read, request: request, maxRows: source.maxRows)
        case .rest(let url):
            return try await BrokerHTTPClient.rows(url: url, request: request, timeoutSeconds: source.timeoutSeconds, maxRows: source.maxRows)
        }
    }

    // MARK: - sqlite

    /// Opens the file read-only and runs the configured statement with the request's values bound
    /// as `:agent_id`, `:purpose` and `:intent`.
    package static func readSQLite(path: String, read: BrokerSource.SQLiteRead, request: BrokerRequest, maxRows: Int) async throws -> [JSONValue] {
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("the source's database file does not exist") }
        let sql = switch read {
        case .table(let table): "SELECT * FROM \"\(table)\""
        case .query(let query): query
        }
        let arguments = ["agent_id": request.agentId, "purpose": request.purpose, "intent": request.intent]
        do {
            return try await ReadOnlySQLiteQuery.rows(path: path, sql: sql, arguments: arguments, maxRows: maxRows)
        } catch {
            switch error {
            case .cannotOpen(let detail): throw Failure("cannot open the source's database read-only: \(detail)")
            case .notReadOnly: throw Failure("the configured query is not read-only")
            case .failed(let detail): throw Failure("the query failed: \(detail)")
            }
        }
    }
}
