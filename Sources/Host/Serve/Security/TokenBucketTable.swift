import Synchronization

/// Token buckets keyed by actor, with bounded memory.
///
/// Each bucket holds up to `burst` tokens and refills at `rate` tokens per second; a request
/// takes one. A bucket that has refilled completely is the same as a new one, so idle buckets
/// are dropped; when the table still reaches `maxBuckets`, the least recently used tenth is
/// dropped (those actors then start again from a full bucket).
final class TokenBucketTable: Sendable {
    /// The outcome of one ``take(_:now:)``.
    struct Decision: Sendable, Equatable {
        var allowed: Bool
        /// Whole tokens left after this request.
        var remaining: Int
        /// Seconds until the bucket is full again (`RateLimit-Reset`).
        var resetSeconds: Int
        /// Seconds until the next token, when refused (`Retry-After`).
        var retryAfterSeconds: Int
    }

    private struct Bucket {
        var tokens: Double
        var updatedAt: Double
    }

    let rate: Double
    let burst: Int
    let maxBuckets: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Double, burst: Int, maxBuckets: Int = 10_000) {
        precondition(rate > 0 && burst > 0 && maxBuckets > 0, "rate, burst and maxBuckets must be positive")
        self.rate = rate
        self.burst = burst
        self.maxBuckets = maxBuckets
    }

    /// How many buckets are held (for tests of the memory bound).
    var count: Int { buckets.withLock { $0.count } }

    /// Takes one token from `key`'s bucket at time `now` (seconds, monotonic).
    func take(_ key: String, now: Double) -> Decision {
        buckets.withLock { table in
            var bucket = table[key] ?? Bucket(tokens: Double(burst), updatedAt: now)
            bucket.tokens = min(Double(burst), bucket.tokens + max(0, now - bucket.updatedAt) * rate)
            bucket.updatedAt = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if table[key] == nil, table.count >= maxBuckets { evict(&table, now: now) }
            table[key] = bucket
            let missing = Double(burst) - bucket.tokens
            return Decision(
                allowed: allowed,
                remaining: Int(bucket.tokens.rounded(.down)),
                resetSeconds: Int((missing / rate).rounded(.up)),
                retryAfterSeconds: allowed ? 0 : max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))))
        }
    }

    /// Drops full (idle) buckets, then, if that freed too little, the least recently used ones
    /// down to 90 % of the limit, so eviction runs rarely even under many distinct actors.
    private func evict(_ table: inout [String: Bucket], now: Double) {
        table = table.filter { $0.value.tokens + (now - $0.value.updatedAt) * rate < Double(burst) }
        let target = maxBuckets - max(1, maxBuckets / 10)
        guard table.count > target else { return }
        let oldestFirst = table.sorted { $0.value.updatedAt < $1.value.updatedAt }
        for (key, _) in oldestFirst.prefix(table.count - target) { table[key] = nil }
    }
}
