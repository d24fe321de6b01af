/// Reads records lazily, batch by batch, from a snapshot of the log taken
/// when the reader was made: it sees every batch complete at that moment and
/// nothing written later. Time and partition bounds are resolved through the
/// segments' indexes, so only batches that can hold matching records are read.
///
/// A reader is not thread-safe; make one per consumer. Use
/// `while let record = try reader.next()`.
public final class LogReader {
    public let query: LogQuery
    public private(set) var statistics = ReadStatistics()

    private let slots: [SegmentSlot]
    private let limits: LogLimits
    private let fileSystem: any LogFileSystem
    /// The file of the segment being read.
    private var currentFile: (any LogFile)?
    private var segmentPosition = 0
    /// Byte ranges still to read in the current segment.
    private var ranges: [Range<Int64>] = []
    private var rangePosition = 0
    /// Damage inside the current segment's planned span, reported when the reader reaches it.
    private var damageAhead: [DamagedRange] = []
    private var ready: [LogRecord] = []
    /// The read buffer holds the file bytes from `bufferOffset` of `bufferPath`;
    /// batches before `cursor` are done.
    private var bufferOffset: Int64 = 0
    private var bufferPath = ""
    private var cursor = 0
    private var readyPosition = 0
    private var finished = false
    private let buffer = GrowableBuffer(capacity: 1 << 16)
    private let scratch = GrowableBuffer(capacity: 1 << 16)
    private let partitionKeys: [[UInt8]]?
    /// Reads group adjacent blocks up to this many bytes.
    private let readSize = 1 << 20

    init(slots: [SegmentSlot], query: LogQuery, limits: LogLimits, fileSystem: any LogFileSystem) {
        self.slots = slots
        self.fileSystem = fileSystem
        self.query = query
        self.limits = limits
        partitionKeys = query.partitions.map { $0.map { Array($0.utf8) } }
    }

    /// The next matching record, or nil at the end of the snapshot. Throws
    /// ``SegmentLogError/corruption(path:offset:reason:)`` at a damaged batch.
    public func next() throws(SegmentLogError) -> LogRecord? {
        while true {
            if readyPosition < ready.count {
                defer { readyPosition += 1 }
                return ready[readyPosition]
            }
            if finished { return nil }
            ready.removeAll(keepingCapacity: true)
            readyPosition = 0
            try fill()
        }
    }

    /// Reads the next group of blocks into `ready` (possibly matching nothing).
    private func fill() throws(SegmentLogError) {
        if cursor < buffer.count {
            try decodeBuffered()
            return
        }
        while rangePosition >= ranges.count {
            if let damage = damageAhead.first {
                // The snapshot ends past unreadable bytes: say so rather than skip them.
                damageAhead.removeFirst()
                throw .corruption(path: damage.path, offset: damage.offset, reason: damage.reason)
            }
            guard segmentPosition < slots.count else { finished = true; return }
            (ranges, damageAhead) = plan(slots[segmentPosition])
            rangePosition = 0
            currentFile = nil
            segmentPosition += 1
            if !ranges.isEmpty { statistics.segmentsVisited += 1 }
        }
        let slot = slots[segmentPosition - 1]
        if let damage = damageAhead.first, damage.offset < ranges[rangePosition].lowerBound {
            damageAhead.removeFirst()
            throw .corruption(path: damage.path, offset: damage.offset, reason: damage.reason)
        }
        var range = ranges[rangePosition]
        rangePosition += 1
        // Merge following ranges that touch this one, up to the read size.
        while rangePosition < ranges.count, ranges[rangePosition].lowerBound == range.upperBound,
              range.count + ranges[rangePosition].count <= readSize {
            range = range.lowerBound..<ranges[rangePosition].upperBound
            rangePosition += 1
        }
        let length = Int(range.count)
        buffer.count = 0
        cursor = 0
        buffer.reserve(length)
        if currentFile == nil {
            currentFile = slot.file
        }
        if currentFile == nil {
            do throws(SegmentLogError) {
                currentFile = try fileSystem.open(slot.path, mode: .readOnly)
            } catch {
                throw .io(operation: "open segment (removed by retention while this reader was behind?)", path: slot.path, errno: SegmentLog.errno(of: error))
            }
        }
        let got = try currentFile!.read(into: UnsafeMutableRawBufferPointer(start: buffer.base, count: length), at: range.lowerBound)
        statistics.bytesRead += Int64(got)
        buffer.count = got
        bufferOffset = range.lowerBound
        bufferPath = slot.path
        guard got == length else {
            throw .corruption(path: slot.path, offset: range.lowerBound + Int64(got), reason: "segment is shorter than its index says (\(got) of \(length) bytes readable)")
        }
        try decodeBuffered()
    }

    /// Decodes batches from the read buffer at `cursor` until some record
    /// matches or the buffer is used up. A damaged batch throws once; the
    /// cursor has then moved to the next batch that checks out, so a caller
    /// that keeps reading gets every intact record after the damage.
    private func decodeBuffered() throws(SegmentLogError) {
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)
        while cursor < bytes.count && ready.isEmpty {
            let at = bufferOffset + Int64(cursor)
            let rest = UnsafeRawBufferPointer(rebasing: bytes[cursor...])
            let header: BatchHeader
            switch Self.verify(rest, limits: limits) {
            case .failure(let failure):
                cursor = Self.nextValidBatch(in: bytes, after: cursor, limits: limits) ?? bytes.count
                let skipped = bufferOffset + Int64(cursor) - at
                // Known damage in the bytes just skipped is reported by this error.
                damageAhead.removeAll { $0.offset >= at && $0.offset < at + skipped }
                throw .corruption(path: bufferPath, offset: at, reason: "\(failure.reason) (\(skipped) bytes unreadable)")
            case .success(let verified):
                header = verified
            }
            let batch = UnsafeRawBufferPointer(rebasing: rest[0..<header.totalLength])
            cursor += header.totalLength
            // Header fields are trusted only after the checksum has covered them.
            if let until = query.until, header.minTimestamp >= until { finish(); return }
            if let through = query.throughSequence, header.firstSequence > through { finish(); return }
            if header.lastSequence < query.fromSequence { continue }
            if let since = query.since, header.maxTimestamp < since { continue }
            statistics.batchesDecoded += 1
            switch BatchDecoder.records(of: batch, header: header, scratch: scratch) {
            case .failure(let failure):
                throw .corruption(path: bufferPath, offset: at, reason: failure.reason)
            case .success(let raw):
                // Locals for the per-record loop: the reader's own properties
                // would be checked for overlapping access on every record.
                var matched = ready
                ready = []
                let query = self.query, partitionKeys = self.partitionKeys
                BatchDecoder.forEachRecord(in: raw, header: header) { record in
                    guard query.matches(sequence: record.sequence, timestamp: record.timestamp, kind: record.kind) else { return }
                    if let keys = partitionKeys, !keys.contains(where: { $0.elementsEqual(record.partition) }) { return }
                    matched.append(record.materialize())
                }
                ready = matched
            }
        }
    }

    private func finish() {
        finished = true
        ranges = []
        cursor = buffer.count
        damageAhead = []
    }

    /// The header of the batch at the start of `bytes` if the whole batch is
    /// there and its checksum matches.
    private static func verify(_ bytes: UnsafeRawBufferPointer, limits: LogLimits) -> Swift.Result<BatchHeader, BatchDecodeFailure> {
        guard let header = BatchHeader.decode(bytes) else {
            return .failure(.init("no valid batch header where the index points"))
        }
        if let reason = header.implausibility(available: Int64(bytes.count), limits: limits) {
            return .failure(.init(reason))
        }
        let computed = BatchHeader.computeChecksum(UnsafeRawBufferPointer(rebasing: bytes[0..<header.totalLength]))
        guard computed == header.checksum else {
            return .failure(.init("batch checksum 0x\(String(header.checksum, radix: 16)) does not match computed 0x\(String(computed, radix: 16))"))
        }
        return .success(header)
    }

    /// The position of the next batch after `position` that checks out.
    private static func nextValidBatch(in bytes: UnsafeRawBufferPointer, after position: Int, limits: LogLimits) -> Int? {
        var probe = position + 1
        while probe + SegmentFormat.batchHeaderSize <= bytes.count {
            if bytes.loadLE(UInt32.self, at: probe) == SegmentFormat.batchMagic,
               case .success = verify(UnsafeRawBufferPointer(rebasing: bytes[probe...]), limits: limits) {
                return probe
            }
            probe += 1
        }
        return nil
    }

    /// The byte ranges of a segment's blocks that can hold matching records,
    /// and the known damage between them that could have held some.
    private func plan(_ slot: SegmentSlot) -> ([Range<Int64>], [DamagedRange]) {
        let ranges = plan(slot.index)
        guard !slot.damage.isEmpty else { return (ranges, []) }
        let index = slot.index
        let spanStart = ranges.first.map { $0.lowerBound == index.entries.first?.offset ? Int64(SegmentFormat.segmentHeaderSize) : $0.lowerBound }
        let spanEnd = ranges.last.map { $0.upperBound == index.length ? Int64.max : $0.upperBound }
        let damage = slot.damage.filter { range in
            // An empty range means the sequences are unknown: they followed the segment's last record.
            let sequencesMatter = range.missingSequences.isEmpty
                ? query.fromSequence <= index.nextSequence
                : range.missingSequences.upperBound > query.fromSequence && range.missingSequences.lowerBound <= (query.throughSequence ?? .max)
            guard sequencesMatter else { return false }
            guard let spanStart, let spanEnd else {
                // Nothing readable was planned; damage is reported only to a whole-segment read.
                return query.since == nil && query.until == nil && query.partitions == nil && query.kinds == nil
            }
            return range.offset >= spanStart && range.offset <= spanEnd
        }
        return (ranges, damage)
    }

    /// The byte ranges of `index`'s blocks that can hold matching records.
    private func plan(_ index: SegmentIndex) -> [Range<Int64>] {
        guard !index.isEmpty, let last = index.lastSequence else { return [] }
        if last < query.fromSequence { return [] }
        if let through = query.throughSequence, index.baseSequence > through { return [] }
        if let since = query.since, index.maxTimestamp < since { return [] }
        if let until = query.until, index.minTimestamp >= until { return [] }
        if let kinds = query.kinds, !kinds.contains(where: { index.kindCounts[$0] != nil }) { return [] }

        var first = index.firstBlock(holding: query.fromSequence)
        if let since = query.since { first = max(first, index.firstBlock(atOrAfter: since)) }
        var end = index.entries.count
        if let until = query.until {
            // Blocks whose first record is already at or past `until` hold nothing earlier.
            var low = first, high = end
            while low < high {
                let mid = (low + high) / 2
                if index.entries[mid].timestamp < until { low = mid + 1 } else { high = mid }
            }
            end = max(low, first)
        }
        guard first < end else { return [] }
        guard let partitions = query.partitions else {
            return (first..<end).map(index.blockRange)
        }
        var blocks: [Int] = []
        for key in partitions {
            guard let entry = index.partitions[key] else { continue }
            for run in entry.runs {
                let lower = max(Int(run.start), first), upper = min(Int(run.start + run.count), end)
                if lower < upper { blocks.append(contentsOf: lower..<upper) }
            }
        }
        blocks.sort()
        var ranges: [Range<Int64>] = []
        var previous = -1
        for block in blocks where block != previous {
            ranges.append(index.blockRange(block))
            previous = block
        }
        return ranges
    }
}

extension SegmentLog {
    /// A reader over the records matching `query`, as of now.
    public func read(_ query: LogQuery = LogQuery()) -> LogReader {
        let slots = state.withLock { $0.slots }
        return LogReader(slots: slots, query: query, limits: options.limits, fileSystem: options.fileSystem)
    }
}
