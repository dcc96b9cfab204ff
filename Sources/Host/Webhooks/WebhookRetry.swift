import Foundation

/// When a failed delivery is tried again: exponential backoff from ``initialDelay`` doubling up
/// to ``maximumDelay``, each delay drawn uniformly from its upper half (jitter, so receivers that
/// came back are not hit by every sender at once), for at most ``retryPeriod`` after the event.
package struct WebhookRetry: Sendable, Hashable {
    package var initialDelay: Duration
    package var maximumDelay: Duration
    package var retryPeriod: Duration

    package static let standard = WebhookRetry(initialDelay: .seconds(1), maximumDelay: .seconds(600), retryPeriod: .seconds(86_400))

    package init(initialDelay: Duration, maximumDelay: Duration, retryPeriod: Duration) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.retryPeriod = retryPeriod
    }

    /// The delay before attempt `failedAttempt + 1`, before jitter.
    package func backoff(afterAttempt failedAttempt: Int) -> Duration {
        let doublings = min(max(failedAttempt - 1, 0), 40)
        let delay = initialDelay * Double(1 << doublings)
        return min(delay, maximumDelay)
    }

    /// When to try again after attempt `failedAttempt` failed at `now`, for an event stored at
    /// `createdAt`; `nil` when that would be past the retry period (the delivery has failed).
    package func nextAttempt<R: RandomNumberGenerator>(
        afterAttempt failedAttempt: Int, now: Date, createdAt: Date, using random: inout R
    ) -> Date? {
        let delay = backoff(afterAttempt: failedAttempt)
        let jittered = delay.timeInterval * Double.random(in: 0.5...1, using: &random)
        let next = now.addingTimeInterval(jittered)
        return next <= createdAt.addingTimeInterval(retryPeriod.timeInterval) ? next : nil
    }
}

extension Duration {
    /// The duration in seconds, with its fraction, as `Date` arithmetic takes it.
    package var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
