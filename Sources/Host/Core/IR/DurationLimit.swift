/// The longest wait a graph may ask for: a `delay` node, a retry's `backoff_ms`, an interrupt's
/// `timeout`. Larger values are refused when the graph loads, so no duration computed from a
/// graph can overflow at run time (to nanoseconds, to a timestamp), however long the run lives.
package enum DurationLimit {
    /// 30 days, in milliseconds.
    package static let maximumMilliseconds = 30 * 86_400_000
    /// 30 days, in seconds.
    package static let maximumSeconds = Double(maximumMilliseconds / 1000)
    /// The limit as people read it, for error messages.
    package static let description = "30 days"
}
