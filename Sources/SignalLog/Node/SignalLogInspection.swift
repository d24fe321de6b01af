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
    /// Accepted-but-unfinished signals, in processing order within each partition.
    public var pending: [PendingSignal]
    /// Unresolved dead letters by signal id.
    public var deadLetters: [String: DeadLetter]
    /// Every counter since the log began.
    public var totals: SignalTotals
    /// Idempotency keys accepted within the dedupe TTL before ``now``.
    public var dedupeKeys: Set<String>
    public var dedupeTTL: Duration
    /// The time the dedupe window was taken at, microseconds since the epoch.
    public var now: Int64

    /// Rebuilds the state of `log` (which may be open read-only, or have a
    /// live writer: the rebuild sees complete batches only).
    /// - Throws: the log's read errors (damage, I/O).
    public init(log: SegmentLog, now: Int64 = SystemClock().nowMicroseconds(), dedupeTTL: Duration = .seconds(300),
                scope: Scope = .everything) throws {
        let ttl = micros(dedupeTTL)
        let (projections, report) = try Startup.rebuild(log: log, now: now, ttl: ttl,
                                                        mode: RebuildMode(lenient: true, deadLettersOnly: scope == .deadLetters))
        self.report = report
        pending = projections.queues.partitions.values.flatMap(\.items).sorted { $0.order < $1.order }
        deadLetters = projections.deadLetters
        totals = projections.totals
        dedupeKeys = Set(projections.dedupe.unexpired(now: now, ttl: ttl).keys)
        self.dedupeTTL = dedupeTTL
        self.now = now
    }

    /// Whether the log holds any processing-layer state at all.
    public var hasSignals: Bool { report.markerSequence != nil || totals.received > 0 || !deadLetters.isEmpty || !pending.isEmpty }

    /// Dead letters, oldest move first (as ``SignalNode/deadLetters()`` lists them).
    public var sortedDeadLetters: [DeadLetter] { deadLetters.values.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) } }

    /// Pending signals per partition key.
    public var pendingByPartition: [String: Int] {
        var counts: [String: Int] = [:]
        for item in pending { counts[item.signal.partitionKey, default: 0] += 1 }
        return counts
    }
}
