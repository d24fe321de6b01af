import SegmentLog

/// Reads pending signals back from the log: the part of a node's pending
/// work that is not held in memory (docs/signals.md, "Pending work").
///
/// One forward read from the backlog frontier serves every partition: each
/// signal record is matched against its partition's ``BacklogCursor``, so a
/// refill costs one pass over the batches it covers, however many
/// partitions share them.
struct PendingBacklog {
    /// The cursors of the partitions with work in the log, as taken from the queues.
    var cursors: [HashedString: BacklogCursor]
    /// Where the next read starts.
    var position: UInt64
    /// Records at or after this are not read (appended after the snapshot).
    let end: UInt64
    /// Pending signals read so far, per partition, and records skipped as finished.
    var loaded: [HashedString: Int] = [:]
    var skipped: [HashedString: Int] = [:]
    /// Pending signals still in the log across the cursors.
    private(set) var remaining: Int

    /// A backlog reader over `queues` as they are now.
    init(_ queues: PartitionQueues) {
        var cursors: [HashedString: BacklogCursor] = [:]
        for (key, queue) in queues.partitions where queue.cursor.count > 0 { cursors[key] = queue.cursor }
        self.cursors = cursors
        remaining = cursors.values.reduce(0) { $0 + $1.count }
        position = queues.frontier
        end = queues.backlogEnd
    }

    /// Whether some partition still has signals in the log.
    var isExhausted: Bool { remaining == 0 }

    /// Reads on from ``position`` and calls `body` with each pending signal,
    /// in log order (per partition, processing order), until `body` returns
    /// false or the backlog is read. A lenient read skips undecodable records.
    ///
    /// - Throws: the log's read errors; ``SignalNodeError/badRecord(sequence:reason:)``
    ///   for an undecodable signal record (unless lenient), or when the log
    ///   ends before every counted signal was found.
    mutating func read(in log: SegmentLog, lenient: Bool = false, statistics: inout ReadStatistics,
                       _ body: (PendingSignal, HashedString) throws -> Bool) throws {
        guard position < end, !isExhausted else { return }
        let reader = log.read(LogQuery(fromSequence: position, throughSequence: end - 1, kinds: [SignalRecordKind.signal.rawValue]))
        defer { Startup.add(reader.statistics, to: &statistics) }
        while let record = try reader.next() {
            position = record.sequence + 1
            let key = HashedString(record.partition)
            guard var cursor = cursors[key], cursor.count > 0 else { continue }
            let decoded: SignalRecord
            do {
                decoded = try SignalRecord.decode(record.payload)
            } catch {
                guard lenient else { throw SignalNodeError.badRecord(sequence: record.sequence, reason: error.description) }
                continue
            }
            let order = decoded.carriedFrom ?? record.sequence
            guard order >= cursor.minimumOrder else { continue }
            cursor.minimumOrder = order + 1
            if cursor.finishedAhead > 0 {
                cursor.finishedAhead -= 1
                skipped[key, default: 0] += 1
                cursors[key] = cursor
                continue
            }
            cursor.count -= 1
            remaining -= 1
            cursors[key] = cursor
            loaded[key, default: 0] += 1
            let item = PendingSignal(signal: decoded.signal, sequence: record.sequence, order: order, acceptedAt: record.timestamp)
            guard try body(item, key) else { return }
            if isExhausted { return }
        }
        position = end
        if remaining > 0, !lenient, let (key, cursor) = cursors.first(where: { $0.value.count > 0 }) {
            throw SignalNodeError.badRecord(sequence: end, reason: "partition \(key.text) counts \(cursor.count) pending signals that the log does not hold before sequence \(end)")
        }
    }
}
