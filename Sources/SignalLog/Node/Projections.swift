/// The state a node rebuilds from its log at open: pending signals per
/// partition, the dedupe set, the dead letter queue and metric totals.
struct Projections: Sendable {
    var queues = PartitionQueues()
    var dedupe = DedupeSet()
    var deadLetters: [String: DeadLetter] = [:]
    var totals = SignalTotals()

    func snapshot(now: Int64, ttl: Int64) -> ProjectionSnapshot {
        ProjectionSnapshot(pending: queues.pendingIDs, dedupe: dedupe.unexpired(now: now, ttl: ttl), deadLetters: deadLetters, totals: totals)
    }
}

/// The projections in comparable form (reliability.md #17: rebuilding twice
/// gives identical projections, equal to the live state before the restart).
struct ProjectionSnapshot: Sendable, Equatable {
    /// Partition → pending signal ids in processing order.
    var pending: [String: [String]]
    /// Unexpired idempotency keys.
    var dedupe: [String: DedupeEntry]
    var deadLetters: [String: DeadLetter]
    var totals: SignalTotals
}

/// Processed-signal counts per second over a short window.
struct ThroughputWindow: Sendable {
    static let seconds = 10
    var buckets = [(second: Int64, count: Int)](repeating: (-1, 0), count: seconds)

    mutating func add(_ count: Int, at micros: Int64) {
        let second = micros / 1_000_000
        let slot = Int(second % Int64(Self.seconds))
        if buckets[slot].second != second { buckets[slot] = (second, 0) }
        buckets[slot].count += count
    }

    func rate(at micros: Int64) -> Double {
        let second = micros / 1_000_000
        let total = buckets.reduce(0) { sum, bucket in
            bucket.second > second - Int64(Self.seconds) && bucket.second <= second ? sum + bucket.count : sum
        }
        return Double(total) / Double(Self.seconds)
    }
}
