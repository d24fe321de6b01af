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

/// Where a partition's pending work stands: the head of it in memory
/// (`items`) and the rest in the log (`cursor`), read back in order by
/// ``PendingBacklog`` as the window empties.
struct PartitionQueue: Sendable {
    /// The first pending signals of the partition, in processing order.
    var items: Deque<PendingSignal> = []
    /// The partition's pending signals after `items`, still in the log only.
    var cursor = BacklogCursor()
    /// A worker task is draining this partition.
    var running = false

    /// Pending signals in memory and in the log.
    var pending: Int { items.count + cursor.count }

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

/// How to find a partition's pending signals that are not in memory: every
/// signal record of the partition at or after the node's backlog frontier
/// whose order (``PendingSignal/order``) is at least `minimumOrder` is one,
/// except the first `finishedAhead` of them, which were finished by records
/// the startup scan read after the newest checkpoint.
struct BacklogCursor: Sendable, Equatable {
    /// Pending signals of the partition left in the log.
    var count = 0
    /// Records with a lower order are finished, or already in memory.
    var minimumOrder: UInt64 = 0
    /// Records at the cursor (order ≥ `minimumOrder`) already finished: skipped when read.
    var finishedAhead = 0
}

/// The pending signals of every partition, in processing order: at most
/// `window` of them in memory (plus what a legacy rebuild loaded), the rest
/// left in the log from `frontier` on, with the running totals that queue
/// metrics and flow control read (docs/signals.md, "Pending work").
struct PartitionQueues: Sendable {
    /// Keyed by partition key, hashed once when a signal is accepted.
    var partitions: [HashedString: PartitionQueue] = [:]
    /// Pending signals in all partitions, in memory and in the log.
    var depth = 0
    /// Pending signals held in memory.
    var inMemory = 0
    /// Pending signals left in the log (the sum of the cursors' counts).
    var backlog = 0
    /// Every pending signal record at or after this sequence is not in memory
    /// (records before it are in memory or finished).
    var frontier: UInt64 = 0
    /// Records below this are accounted for (in memory, counted in a
    /// cursor, or not pending); a refill reads `frontier ..< backlogEnd`.
    var backlogEnd: UInt64 = 0
    /// How many pending signals acceptance keeps in memory before it leaves
    /// the rest in the log.
    var window = Int.max
    /// Bumped when retention moves records, so a refill read before it is discarded.
    var generation = 0
    /// A refill is under way (one at a time).
    var refilling = false
    /// Retention is moving pending records: refills wait (see ``SignalNode/carryForward(from:)``).
    var moving = false
    /// Sum of acceptedAt over the signals in memory (for the mean age).
    var acceptedAtSum: Double = 0

    /// Queues a signal just accepted (its record is the newest in the log):
    /// in memory while nothing is left in the log and the window has room,
    /// else counted in its partition's cursor. True when its partition had
    /// no worker and now has work in memory (the caller starts one: the
    /// partition is marked running).
    ///
    /// The signal is only read when it is kept in memory (`order` is its
    /// sequence: the acceptance is the original one).
    mutating func enqueue(sequence: UInt64, acceptedAt: Int64, key: HashedString, signal: @autoclosure () -> Signal) -> Bool {
        depth += 1
        backlogEnd = max(backlogEnd, sequence + 1)
        // The queue is changed where it lies in the table: one lookup per
        // signal (taking it out and putting it back cost two, with a
        // rehash of the key each).
        guard backlog == 0, inMemory < window else {
            if backlog == 0 { frontier = sequence }
            backlog += 1
            partitions[key, default: PartitionQueue(cursor: BacklogCursor(minimumOrder: sequence))].cursor.count += 1
            return false
        }
        frontier = max(frontier, sequence + 1)
        inMemory += 1
        acceptedAtSum += Double(acceptedAt)
        let item = PendingSignal(signal: signal(), sequence: sequence, order: sequence, acceptedAt: acceptedAt)
        return Self.append(item, to: &partitions[key, default: PartitionQueue(cursor: BacklogCursor(minimumOrder: sequence))])
    }

    /// Adds `item` to the end of a queue's memory; true when the caller
    /// must start the partition's worker.
    mutating func hold(_ item: PendingSignal, in queue: inout PartitionQueue) -> Bool {
        inMemory += 1
        acceptedAtSum += Double(item.acceptedAt)
        return Self.append(item, to: &queue)
    }

    /// The queue's part of ``hold(_:in:)``: appends the item, moves the
    /// cursor past it, and marks the partition running (true when it was not).
    private static func append(_ item: PendingSignal, to queue: inout PartitionQueue) -> Bool {
        queue.items.append(item)
        queue.cursor.minimumOrder = max(queue.cursor.minimumOrder, item.order + 1)
        if queue.running { return false }
        queue.running = true
        return true
    }

    /// Removes the first `count` items of a partition (finished).
    mutating func removeFinished(_ count: Int, from key: HashedString) {
        guard count > 0, let removedSum = partitions[key]?.removeFirst(count) else { return }
        depth -= min(count, depth)
        inMemory -= min(count, inMemory)
        acceptedAtSum -= removedSum
        if inMemory == 0 { acceptedAtSum = 0 }
    }

    /// Whether a refill should run: work is left in the log and the memory
    /// is at most half full.
    var wantsRefill: Bool { backlog > 0 && !refilling && inMemory <= window / 2 }

    /// Lowest sequence of any signal record still needed for pending work:
    /// where a rebuild starts reading it.
    func resumeSequence(default next: UInt64) -> UInt64 {
        var low = backlog > 0 ? min(frontier, next) : next
        for queue in partitions.values {
            for item in queue.items where item.sequence < low { low = item.sequence }
        }
        return low
    }

    /// The checkpoint's account of pending work: per partition with any,
    /// the order of its first unfinished signal, how many are pending and
    /// how many records at its cursor are known finished.
    func checkpointEntries() -> [MarkerRecord.PendingPartition] {
        var entries: [MarkerRecord.PendingPartition] = []
        for (key, queue) in partitions where queue.pending > 0 {
            let head = queue.items.first?.order ?? queue.cursor.minimumOrder
            entries.append(MarkerRecord.PendingPartition(partition: key.text, headOrder: head, count: UInt64(queue.pending),
                                                          finishedAhead: UInt64(queue.items.isEmpty ? queue.cursor.finishedAhead : 0)))
        }
        return entries.sorted { $0.partition < $1.partition }
    }

    /// Pending signals per partition key.
    var countsByPartition: [String: Int] {
        var counts: [String: Int] = [:]
        for (key, queue) in partitions where queue.pending > 0 { counts[key.text] = queue.pending }
        return counts
    }
}
