import SegmentLog

/// The state a node rebuilds from its log at open: pending signals per
/// partition, the dedupe set, the dead letter queue and metric totals.
struct Projections: Sendable {
    var queues = PartitionQueues()
    var dedupe = DedupeSet(ttl: 0, maxKeys: 16)
    var deadLetters: [String: DeadLetter] = [:]
    var totals = SignalTotals()
    /// The dedupe window's key count alone, when a rebuild counts only those
    /// (``RebuildMode/dedupeKeysOnly``; `dedupe` then stays empty).
    var dedupeKeyCount = 0

    /// The projections in comparable form; the pending signals left in the
    /// log are read back from `log` (nil: only those in memory are listed).
    func snapshot(now: Int64, ttl: Int64, log: SegmentLog?) -> ProjectionSnapshot {
        var pending: [String: [String]] = [:]
        for (key, queue) in queues.partitions where !queue.items.isEmpty {
            pending[key.text] = queue.items.map(\.signal.id)
        }
        if let log {
            var backlog = PendingBacklog(queues)
            var statistics = ReadStatistics()
            try? backlog.read(in: log, lenient: true, statistics: &statistics) { item, key in
                pending[key.text, default: []].append(item.signal.id)
                return true
            }
        }
        return ProjectionSnapshot(pending: pending, dedupe: dedupe.unexpired(now: now, ttl: ttl), deadLetters: deadLetters, totals: totals)
    }
}

/// The projections in comparable form (docs/reliability-tests.md #17: rebuilding twice
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
