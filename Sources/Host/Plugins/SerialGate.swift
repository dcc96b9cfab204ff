/// An async mutual-exclusion gate: at most one holder at a time, waiters resumed in arrival
/// order. Waiting suspends the task instead of blocking a thread, so a queue of callers on
/// a `serial` plugin kind does not starve the host's worker pool.
package actor SerialGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Returns once the caller holds the gate. Pair every call with ``release()``.
    package func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands the gate to the longest waiter, or opens it.
    package func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` while holding the gate.
    package nonisolated func withGate<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        do {
            let value = try await body()
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }
}
