extension SegmentLog {
    /// Appends a draft's records as one batch with the sequence numbers and
    /// append time they had in another copy of the log, for rebuilding a log
    /// from a mirror (`signallog restore`, docs/jetstream.md). Everything
    /// else about the append is as in ``append(_:at:)``.
    ///
    /// `firstSequence` must be the log's ``nextSequence`` — or, while the
    /// log holds no record, any number: the log then starts there (its empty
    /// segment is replaced by one based at `firstSequence`), as a log whose
    /// oldest records retention removed does. `timestamp` must be no earlier
    /// than ``lastAppendTime``, so append times still never decrease. Every
    /// record of the batch carries `timestamp`.
    ///
    /// Throws ``SegmentLogError/invalidArgument(_:)``, appending nothing,
    /// when either rule is broken.
    ///
    /// - Parameters:
    ///   - draft: records made by ``makeDraft()``; empty again on return.
    ///   - firstSequence: the sequence number the batch's first record had.
    ///   - timestamp: the append time the batch had, microseconds since the epoch.
    /// - Returns: the batch's sequence numbers and append time, as given.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/invalidArgument(_:)`` when
    ///   the draft is empty or a rule above is broken; ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/io(operation:path:errno:)`` when a write fails.
    @discardableResult
    public func append(_ draft: BatchDraft, restoringSequence firstSequence: UInt64, timestamp: Int64) throws(SegmentLogError) -> AppendResult {
        guard draft.count > 0 else { throw .invalidArgument("an append needs at least one record") }
        draft.compress()
        let result = try state.withLock { (state) throws(SegmentLogError) -> AppendResult in
            try writable(state)
            if state.lastTimestamp != .min, timestamp < state.lastTimestamp {
                throw .invalidArgument("restored batch at sequence \(firstSequence) has append time \(timestamp), earlier than the log's last \(state.lastTimestamp)")
            }
            if firstSequence != state.nextSequence {
                guard state.slots.count == 1, let active = state.active, active.index.isEmpty else {
                    throw .invalidArgument("restored batch starts at sequence \(firstSequence) but \(directory) continues at \(state.nextSequence)")
                }
                try rebase(&state, to: firstSequence)
            }
            let now = options.clock.nowMicroseconds()
            return try write(&state, encoder: draft.encoder, pending: draft.pending, timestamp: timestamp, now: now)
        }
        draft.removeAll()
        if options.durability == .always {
            try waitUntilDurable(through: result.lastSequence)
        }
        return result
    }

    /// Replaces the empty only segment with an empty one based at `base`.
    /// The old file goes first: a crash in between leaves an empty log, never
    /// two segments whose sequences jump.
    private func rebase(_ state: inout LogState, to base: UInt64) throws(SegmentLogError) {
        let old = state.slots[0]
        state.slots[0].file = nil
        try options.fileSystem.remove(old.path)
        try options.fileSystem.syncDirectory(directory)
        let createdAt = options.clock.nowMicroseconds()
        do {
            let file = try files.createSegment(base: base, createdAt: createdAt)
            state.slots = [SegmentSlot(path: files.segmentPath(base), file: file, index: SegmentIndex(baseSequence: base, createdAt: createdAt), isSealed: false)]
        } catch {
            // Without an active segment the log cannot go on; a reopen finds it empty.
            state.failure = error
            throw error
        }
        durability.markDurable(below: base)
    }
}
