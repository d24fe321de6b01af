import SegmentLog

/// Ways of walking the records a filter selects.
enum RecordScan {
    /// Oldest first, through the engine's indexed reader. `visit` returns
    /// false to stop. A damaged batch is passed to `damaged` and reading goes
    /// on with the intact batches after it; errors other than damage throw.
    static func forward(_ log: SegmentLog, _ filter: RecordFilter, damaged: (SegmentLogError) -> Void, visit: (PresentedRecord) -> Bool) throws(SegmentLogError) {
        let reader = log.read(filter.query)
        try drain(reader, damaged: damaged) { record in
            guard let item = filter.accept(record) else { return true }
            return visit(item)
        }
    }

    /// Reads `reader` to its end, reporting damage and gaps and continuing past them.
    static func drain(_ reader: LogReader, damaged: (SegmentLogError) -> Void, _ body: (LogRecord) -> Bool) throws(SegmentLogError) {
        var consecutive = 0
        while true {
            let record: LogRecord?
            do {
                record = try reader.next()
                consecutive = 0
            } catch {
                // Damage and gaps are reported and passed over; anything else ends the read.
                switch error {
                case .corruption, .sequenceGap: break
                default: throw error
                }
                guard consecutive < 10_000 else { throw error }
                consecutive += 1
                damaged(error)
                continue
            }
            guard let record else { return }
            if !body(record) { return }
        }
    }

    /// Newest first: reads windows of sequence numbers backwards from the
    /// end, each through the indexes, so `-n 10` of a large log reads only
    /// its last batches. The window grows while windows come back empty.
    static func backward(_ log: SegmentLog, _ filter: RecordFilter, damaged: (SegmentLogError) -> Void, visit: (PresentedRecord) -> Bool) throws(SegmentLogError) {
        let all = log.segments()
        let segments = all.filter { $0.lastSequence != nil }
        // "The last N" is not the last N if records after them are lost:
        // damage past the newest readable record is reported first.
        let newest = segments.last?.lastSequence
        if filter.query.throughSequence == nil {
            for segment in all {
                for range in segment.damage where newest.map({ range.missingSequences.lowerBound > $0 }) ?? true {
                    damaged(.corruption(path: range.path, offset: range.offset, reason: range.reason))
                }
            }
        }
        guard var lower = segments.first?.baseSequence, var upper = newest else { return }
        lower = max(lower, filter.query.fromSequence)
        if let through = filter.query.throughSequence { upper = min(upper, through) }
        // Time bounds narrow the sequence span through the segment summaries
        // (event times are in no order along the log: each segment's own range decides).
        let range: (SegmentInfo) -> ClosedRange<Int64>? = filter.query.timeAxis == .event ? { $0.eventTimeRange } : { $0.timeRange }
        let since = filter.query.since ?? .min, until = filter.query.until ?? .max
        let overlapping = segments.filter { segment in range(segment).map { $0.upperBound >= since && $0.lowerBound < until } ?? false }
        if filter.query.since != nil || filter.query.until != nil {
            guard let first = overlapping.first, let end = overlapping.last?.lastSequence else { return }
            lower = max(lower, first.baseSequence)
            upper = min(upper, end)
        }
        guard lower <= upper else { return }
        var width: UInt64 = 4096
        var top = upper
        while true {
            let bottom = top - lower >= width - 1 ? top - (width - 1) : lower
            var query = filter.query
            query.fromSequence = bottom
            query.throughSequence = top
            let reader = log.read(query)
            var window: [PresentedRecord] = []
            try drain(reader, damaged: damaged) { record in
                if let item = filter.accept(record) { window.append(item) }
                return true
            }
            for item in window.reversed() {
                if !visit(item) { return }
            }
            if bottom == lower { return }
            top = bottom - 1
            if window.count < 64 { width = min(width * 2, 1 << 20) }
        }
    }
}
