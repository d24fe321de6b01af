/// Limits on how much history the log keeps. Retention removes whole sealed
/// segments, oldest first; the active segment is never removed.
public struct RetentionPolicy: Sendable, Equatable {
    /// Remove segments whose newest record is older than this (microseconds).
    public var maxAge: Int64?
    /// Remove the oldest segments while the log's files exceed this many bytes.
    public var maxTotalBytes: Int64?

    /// Makes a policy; a limit left nil does not apply.
    ///
    /// - Parameters:
    ///   - maxAge: the age, in microseconds, past which a sealed segment's newest
    ///     record makes it removable.
    ///   - maxTotalBytes: the size the log's segment files are cut down to.
    public init(maxAge: Int64? = nil, maxTotalBytes: Int64? = nil) {
        self.maxAge = maxAge
        self.maxTotalBytes = maxTotalBytes
    }
}

extension SegmentLog {
    /// Removes the oldest sealed segments that `policy` no longer keeps.
    ///
    /// Before each removal `mayRemove` is asked, outside the log's lock, so the
    /// layer above can carry forward records it still needs (by appending
    /// them again) or veto the removal; removal stops at the first veto, so the
    /// log always stays one contiguous run of sequence numbers.
    ///
    /// - Parameters:
    ///   - policy: the limits that decide which sealed segments go.
    ///   - mayRemove: asked about each segment before it is removed; returning
    ///     false stops retention there.
    /// - Returns: the segments removed.
    /// - Throws: any error `mayRemove` throws; otherwise ``SegmentLogError``:
    ///   ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``SegmentLog/close()``, or
    ///   ``SegmentLogError/io(operation:path:errno:)`` when removing a file or
    ///   syncing the directory fails. Segments removed before the error stay
    ///   removed.
    @discardableResult
    public func applyRetention(
        _ policy: RetentionPolicy,
        mayRemove: (SegmentInfo) throws -> Bool = { _ in true }
    ) throws -> [SegmentInfo] {
        let now = options.clock.nowMicroseconds()
        let candidates: [SegmentInfo] = try state.withLock { (state) throws(SegmentLogError) in
            if isReadOnly { throw .readOnly(path: directory) }
            if state.closed { throw .closed(path: directory) }
            var total = state.slots.reduce(Int64(0)) { $0 + $1.index.length }
            var chosen: [SegmentInfo] = []
            for slot in state.slots where slot.isSealed {
                let expired = policy.maxAge.map { slot.index.isEmpty || slot.index.maxTimestamp < now - $0 } ?? false
                let oversized = policy.maxTotalBytes.map { total > $0 } ?? false
                guard expired || oversized else { break }
                chosen.append(SegmentInfo(slot))
                total -= slot.index.length
            }
            return chosen
        }
        var removed: [SegmentInfo] = []
        for segment in candidates {
            guard try mayRemove(segment) else { break }
            try state.withLock { (state) throws(SegmentLogError) in
                guard let first = state.slots.first, first.index.baseSequence == segment.baseSequence, first.isSealed else { return }
                // The index goes first: a segment without an index is rebuilt on
                // open, an index without its segment is removed as an orphan.
                try files.fileSystem.remove(files.indexPath(segment.baseSequence))
                KillPoint.hit("retention.after-index-remove")
                try files.fileSystem.remove(segment.path)
                KillPoint.hit("retention.after-segment-remove")
                state.slots.removeFirst()
            }
            removed.append(segment)
        }
        if !removed.isEmpty { try files.fileSystem.syncDirectory(directory) }
        return removed
    }
}
