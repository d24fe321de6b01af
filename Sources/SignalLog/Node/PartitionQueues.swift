import DequeModule

/// An accepted signal waiting in its partition's queue (accepted, not yet
/// processed or dead-lettered).
public struct PendingSignal: Sendable, Equatable {
    public var signal: Signal
    /// Where its signal record is now (moves when retention carries it forward).
    public var sequence: UInt64
    /// The sequence of its original acceptance: its place in partition order.
    public var order: UInt64
    /// Append time of the acceptance, microseconds.
    public var acceptedAt: Int64

    init(signal: Signal, sequence: UInt64, order: UInt64, acceptedAt: Int64) {
        self.signal = signal
        self.sequence = sequence
        self.order = order
        self.acceptedAt = acceptedAt
    }
}

struct PartitionQueue: Sendable {
    var items: Deque<PendingSignal> = []
    /// A worker task is draining this partition.
    var running = false

    /// Removes up to `count` items from the head; returns the sum of their
    /// acceptance times.
    mutating func removeFirst(_ count: Int) -> Double {
        let removing = min(count, items.count)
        var sum = 0.0
        for item in items.prefix(removing) { sum += Double(item.acceptedAt) }
        items.removeFirst(removing)
        return sum
    }
}

/// The pending signals of every partition, in processing order, with the
/// running totals that queue metrics read.
struct PartitionQueues: Sendable {
    /// Keyed by partition key, hashed once when a signal is accepted.
    var partitions: [HashedString: PartitionQueue] = [:]
    /// Pending signals in all partitions.
    var depth = 0
    /// Sum of acceptedAt over queued signals (for the mean age).
    var acceptedAtSum: Double = 0

    /// Queues `item`; true when its partition had no worker (the caller
    /// starts one: the partition is marked running).
    /// `key` is the signal's partition key.
    mutating func enqueue(_ item: PendingSignal, key: HashedString) -> Bool {
        depth += 1
        acceptedAtSum += Double(item.acceptedAt)
        return Self.append(item, to: &partitions[key, default: PartitionQueue()])
    }

    private static func append(_ item: PendingSignal, to queue: inout PartitionQueue) -> Bool {
        queue.items.append(item)
        if queue.running { return false }
        queue.running = true
        return true
    }

    /// Removes the first `count` items of a partition (finished).
    mutating func removeFinished(_ count: Int, from key: HashedString) {
        guard count > 0, let removedSum = partitions[key]?.removeFirst(count) else { return }
        depth -= min(count, depth)
        acceptedAtSum -= removedSum
        if depth == 0 { acceptedAtSum = 0 }
    }

    /// Lowest sequence of any signal record still needed for pending work.
    func lowWaterSequence(default next: UInt64) -> UInt64 {
        var low = next
        for queue in partitions.values {
            for item in queue.items where item.sequence < low { low = item.sequence }
        }
        return low
    }

    /// Partition → pending signal ids in processing order.
    var pendingIDs: [String: [String]] {
        var pending: [String: [String]] = [:]
        for (key, queue) in partitions where !queue.items.isEmpty {
            pending[key.text] = queue.items.map(\.signal.id)
        }
        return pending
    }
}
