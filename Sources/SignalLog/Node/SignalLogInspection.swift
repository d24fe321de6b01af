import SegmentLog

/// The processing layer's state in a log — pending signals, dead letters,
/// the dedupe window, totals, whether the last shutdown was clean — rebuilt
/// read-only the way a ``SignalNode`` rebuilds it at open (newest marker,
/// then the records after `min(low-water mark, now − TTL, marker)`), for
/// tools that must look without taking the writer lock or processing.
///
/// Unlike a node, it is lenient: records it cannot decode are skipped and
/// counted (``StartupReport/undecodableRecords``), and a dead letter whose
/// signal record is gone is listed with type and source "?".
///
/// ```swift
/// let log = try SegmentLog.openReadOnly(directory: "/var/lib/app/signals")
/// let state = try SignalLogInspection(log: log)
/// print(state.report.cleanShutdown, state.pending.count, state.deadLetters.count)
/// ```
///
/// Pending work comes out as counts per partition (from the newest
/// checkpoint and the records after it), not as signals: reading the
/// pending signals themselves (``forEachPending(in:_:)``) streams them from
/// the log.
public struct SignalLogInspection: Sendable {
    /// What to rebuild.
    public enum Scope: Sendable {
        /// Everything a node rebuilds.
        case everything
        /// Only the dead letter queue (reads just the dead-letter records
        /// after the newest marker); the other properties stay partial.
        case deadLetters
    }

    /// Marker, clean-shutdown flag and what the rebuild read.
    public var report: StartupReport
    /// Accepted-but-unfinished signals: how many, per partition.
    public var pending: PendingWork
    /// Unresolved dead letters by signal id.
    public var deadLetters: [String: DeadLetter]
    /// Every counter since the log began.
    public var totals: SignalTotals
    /// Idempotency keys accepted within the dedupe TTL before ``now``: the
    /// keys a node's dedupe store would hold, counted from the dedupe
    /// snapshot and the signal records after it (or, without a usable
    /// snapshot, from the signal records within the TTL; ``report`` says
    /// which and why). Counting reads no key texts into memory.
    public var dedupeKeyCount: Int
    public var dedupeTTL: Duration
    /// The time the dedupe window was taken at, microseconds since the epoch.
    public var now: Int64

    /// Rebuilds the state of `log` (which may be open read-only, or have a
    /// live writer: the rebuild sees complete batches only).
    ///
    /// - Parameters:
    ///   - log: the log to inspect.
    ///   - now: the time the dedupe window is taken at, microseconds since the epoch.
    ///   - dedupeTTL: how long an idempotency key counts as seen.
    ///   - scope: everything a node rebuilds, or only the dead letter queue.
    /// - Throws: the log's read errors (damage, I/O): `SegmentLogError`,
    ///   `.corruption(path:offset:reason:)` for damage on the way and
    ///   `.io(operation:path:errno:)` when a segment cannot be read. Records
    ///   that cannot be decoded are not thrown: they are skipped and counted
    ///   in ``report``.
    public init(log: SegmentLog, now: Int64 = SystemClock().nowMicroseconds(), dedupeTTL: Duration = .seconds(300),
                scope: Scope = .everything) throws {
        let ttl = micros(dedupeTTL)
        let (projections, report) = try Startup.rebuild(log: log, now: now, ttl: ttl,
                                                        mode: RebuildMode(lenient: true, deadLettersOnly: scope == .deadLetters, dedupeKeysOnly: true))
        self.report = report
        pending = PendingWork(queues: projections.queues)
        deadLetters = projections.deadLetters
        totals = projections.totals
        dedupeKeyCount = projections.dedupeKeyCount
        self.dedupeTTL = dedupeTTL
        self.now = now
    }

    /// Whether the log holds any processing-layer state at all.
    public var hasSignals: Bool { report.markerSequence != nil || totals.received > 0 || !deadLetters.isEmpty || !pending.isEmpty }

    /// Dead letters, oldest move first (as ``SignalNode/deadLetters()`` lists them).
    public var sortedDeadLetters: [DeadLetter] { deadLetters.values.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) } }

    /// Pending signals per partition key.
    public var pendingByPartition: [String: Int] { pending.byPartition }

    /// Calls `body` with every pending signal, each partition's in
    /// processing order, reading them from `log` (the log this inspection
    /// was made from, still open) a batch at a time: memory stays bounded
    /// however many are pending. Undecodable records are skipped.
    ///
    /// - Parameters:
    ///   - log: the log this inspection was made from, still open.
    ///   - body: called with each pending signal; what it throws ends the walk.
    /// - Throws: any error `body` throws; `SegmentLogError` when the log cannot
    ///   be read (`.corruption(path:offset:reason:)` for damage on the way,
    ///   `.io(operation:path:errno:)`).
    public func forEachPending(in log: SegmentLog, _ body: (PendingSignal) throws -> Void) throws {
        // A legacy rebuild (a marker without the pending table) holds them.
        var held: [PendingSignal] = []
        for queue in pending.queues.partitions.values { held.append(contentsOf: queue.items) }
        for item in held.sorted(by: { $0.order < $1.order }) { try body(item) }
        var backlog = PendingBacklog(pending.queues)
        var statistics = ReadStatistics()
        try backlog.read(in: log, lenient: true, statistics: &statistics) { item, _ in
            try body(item)
            return true
        }
    }

    /// Every pending signal (see ``forEachPending(in:_:)``), in memory at once:
    /// for small logs and tests.
    ///
    /// - Parameter log: the log this inspection was made from, still open.
    /// - Returns: the pending signals, each partition's in processing order.
    /// - Throws: `SegmentLogError` when the log cannot be read, as
    ///   ``forEachPending(in:_:)`` throws it.
    public func pendingSignals(in log: SegmentLog) throws -> [PendingSignal] {
        var all: [PendingSignal] = []
        try forEachPending(in: log) { all.append($0) }
        return all
    }

    /// Pending signals whose records each segment of `log` holds, by the
    /// segment's base sequence (segments holding none are left out): what
    /// retention would carry forward. Reads the pending signals once.
    ///
    /// - Parameter log: the log this inspection was made from, still open.
    /// - Returns: the number of pending signals per segment base sequence.
    /// - Throws: `SegmentLogError` when the log cannot be read, as
    ///   ``forEachPending(in:_:)`` throws it.
    public func pendingCountsBySegment(in log: SegmentLog) throws -> [UInt64: Int] {
        let bases = log.segments().map(\.baseSequence)
        var counts: [UInt64: Int] = [:]
        try forEachPending(in: log) { item in
            // The last segment starting at or before the record.
            var low = 0, high = bases.count
            while low < high {
                let middle = (low + high) / 2
                if bases[middle] <= item.sequence { low = middle + 1 } else { high = middle }
            }
            guard low > 0 else { return }
            counts[bases[low - 1], default: 0] += 1
        }
        return counts
    }
}

/// How much work is pending in a log, per partition, without the signals
/// (``SignalLogInspection/forEachPending(in:_:)`` reads those).
public struct PendingWork: Sendable {
    let queues: PartitionQueues

    init(queues: PartitionQueues) { self.queues = queues }

    /// Pending signals in all partitions.
    public var count: Int { queues.depth }
    public var isEmpty: Bool { queues.depth == 0 }
    /// Pending signals per partition key (partitions with none are left out).
    public var byPartition: [String: Int] { queues.countsByPartition }
}
