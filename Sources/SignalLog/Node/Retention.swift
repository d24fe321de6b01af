import SegmentLog

/// Retention that carries unresolved work forward before a segment goes.
extension SignalNode {
    /// Applies a retention policy to the log without losing unresolved work:
    /// before a segment is removed, the pending and dead-lettered signals
    /// whose records it holds are appended again (carried forward, with
    /// their original acceptance sequence), followed by a checkpoint. A
    /// segment holding records from within the dedupe TTL is kept, so
    /// duplicates are still caught after a restart.
    ///
    /// - Parameter policy: the limits that decide which sealed segments go.
    /// - Returns: the segments removed.
    /// - Throws: `SegmentLogError` when the log cannot be changed
    ///   (`.closed(path:)` after the node shut down, `.io(operation:path:errno:)`
    ///   when removing a file, appending the carried records or reading the
    ///   backlog fails), or ``SignalNodeError/badRecord(sequence:reason:)`` for a
    ///   backlog record that cannot be decoded. Removal stops at the error;
    ///   segments removed before it stay removed.
    @discardableResult
    public func applyRetention(_ policy: RetentionPolicy) throws -> [SegmentInfo] {
        let cutoff = clock.nowMicroseconds() - ttl
        return try log.applyRetention(policy) { segment in
            guard let last = segment.lastSequence else { return true }
            if let range = segment.timeRange, range.upperBound >= cutoff { return false }
            return try self.carryForward(from: segment.baseSequence...last)
        }
    }

    /// Re-appends pending and dead-lettered signals whose records lie in
    /// `range`, then a checkpoint; true when done.
    ///
    /// Pending work is carried as a whole: when any pending signal's record
    /// lies in `range`, every pending signal (those in memory, then the
    /// backlog read from the log) is appended again in processing order, so
    /// each partition's pending records stay in the log in its order and the
    /// backlog can still be read forward from one position. Retention that
    /// reaches pending work thus copies all of it once.
    func carryForward(from range: ClosedRange<UInt64>) throws -> Bool {
        let done = try state.withLock { (state) throws -> Bool in
            guard state.phase != .closed else { return false }
            // Acceptance and outcome writes wait for the state lock held
            // here, so the queues change only by refills, which wait too.
            let queues = work.withLock { work -> PartitionQueues in
                work.queues.moving = true
                return work.queues
            }
            defer {
                work.withLock { work in
                    work.queues.moving = false
                    work.queues.generation += 1
                }
            }
            var records: [OutRecord] = []
            func flush() throws {
                guard !records.isEmpty else { return }
                let expected = log.nextSequence
                let result = try append(records, writer: &state.writer)
                precondition(result.firstSequence == expected, "appends outside the node lock")
                records.removeAll(keepingCapacity: true)
            }
            var moved: [(partition: HashedString, index: Int, sequence: UInt64)] = []
            var frontier: UInt64?
            if queues.depth > 0, queues.resumeSequence(default: log.nextSequence) <= range.upperBound {
                var next = log.nextSequence
                for (key, queue) in queues.partitions.sorted(by: { $0.key.text < $1.key.text }) {
                    for (index, item) in queue.items.enumerated() {
                        records.append(.signal(item.signal, carriedFrom: item.order))
                        moved.append((key, index, next))
                        next += 1
                        if records.count >= Self.outcomeBatchRecords { try flush() }
                    }
                }
                try flush()
                frontier = log.nextSequence
                var backlog = PendingBacklog(queues)
                var statistics = ReadStatistics()
                try backlog.read(in: log, statistics: &statistics) { item, _ in
                    records.append(.signal(item.signal, carriedFrom: item.order))
                    if records.count >= Self.outcomeBatchRecords { try flush() }
                    return true
                }
                try flush()
            }
            var movedDead: [(String, UInt64)] = []
            var next = log.nextSequence
            for entry in state.deadLetters.values.sorted(by: { $0.sequence < $1.sequence }) where range.contains(entry.sequence) {
                let copy = next
                records.append(.signal(entry.signal, carriedFrom: entry.sequence))
                records.append(.move(DeadLetterMoveRecord(signalID: entry.signal.id, reason: entry.reason, error: entry.error, nodeID: entry.nodeID,
                                                          correlationID: entry.signal.correlationID, time: entry.time,
                                                          retryCount: entry.signal.retryCount, signalSequence: copy),
                                     partition: entry.signal.partitionKey))
                movedDead.append((entry.signal.id, copy))
                next += 2
            }
            try flush()
            work.withLock { work in
                for entry in moved { work.queues.partitions[entry.partition]!.items[entry.index].sequence = entry.sequence }
                if let frontier {
                    // The backlog now starts at its copies; the records it
                    // skipped as finished were not copied.
                    work.queues.frontier = frontier
                    work.queues.backlogEnd = log.nextSequence
                    for key in Array(work.queues.partitions.keys) { work.queues.partitions[key]!.cursor.finishedAhead = 0 }
                }
            }
            for (id, sequence) in movedDead { state.deadLetters[id]!.sequence = sequence }
            guard writeCheckpoint(&state, type: .checkpoint) else { return false }
            return true
        }
        scheduleRefill()
        return done
    }
}
