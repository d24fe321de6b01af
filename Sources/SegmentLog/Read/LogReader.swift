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
    /// Blocks still to read in the current segment.
    private var blocks: [PlannedBlock] = []
    private var blockPosition = 0
    /// The block that holds the batch at `cursor` (an index into `blocks`).
    private var cursorBlock = 0
    /// The sequence the batch at `cursor` must start with when it does not
    /// start a block: one past the batch before it.
    private var expectedSequence: UInt64 = 0
    /// Damage inside the current segment's planned span, reported when the reader reaches it.
    private var damageAhead: [DamagedRange] = []
    private var ready: [LogRecord] = []
    /// Set by ``nextBatch()``: whole batches are collected instead of records.
    private var batchMode = false
    private var readyBatches: [StoredBatch] = []
    private var batchPosition = 0
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

    /// The next matching record, or nil at the end of the snapshot.
    ///
    /// Throws ``SegmentLogError/corruption(path:offset:reason:)``, naming the
    /// file and offset, when the reader reaches a batch that fails its checks
    /// (checksum, structure, or sequence numbers other than the index puts
    /// there) or damage the open found that this query could have matched:
    /// unreadable bytes, a damaged segment header, a segment file that is
    /// missing. Each is thrown once; calling `next()` again continues with
    /// the intact records after it (docs/format.md, "Recovery rules").
    ///
    /// - Returns: the next matching record, or nil when the snapshot is exhausted.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/corruption(path:offset:reason:)``
    ///   for damage, as above; ``SegmentLogError/io(operation:path:errno:)`` when a
    ///   segment cannot be opened or read (for example one retention removed while
    ///   the reader was behind).
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

    /// The next batch, whole and as stored, that holds a record within the
    /// query's sequence and time bounds, or nil at the end of the snapshot.
    /// Partition and kind filters only narrow which blocks are read: the
    /// batches returned may hold other records too. Checks, damage reporting
    /// and the snapshot are as for ``next()``; use one or the other on a reader.
    ///
    /// - Returns: the next batch, or nil when the snapshot is exhausted.
    /// - Throws: ``SegmentLogError``, as ``next()`` does:
    ///   ``SegmentLogError/corruption(path:offset:reason:)`` for damage and
    ///   ``SegmentLogError/io(operation:path:errno:)`` when a segment cannot be read.
    public func nextBatch() throws(SegmentLogError) -> StoredBatch? {
        batchMode = true
        while true {
            if batchPosition < readyBatches.count {
                defer { batchPosition += 1 }
                return readyBatches[batchPosition]
            }
            if finished { return nil }
            readyBatches.removeAll(keepingCapacity: true)
            batchPosition = 0
            try fill()
        }
    }

    /// Reads the next group of blocks into `ready` (possibly matching nothing).
    private func fill() throws(SegmentLogError) {
        if cursor < buffer.count {
            try decodeBuffered()
            return
        }
        while blockPosition >= blocks.count {
            if let damage = damageAhead.first {
                // The snapshot ends past unreadable bytes: say so rather than skip them.
                damageAhead.removeFirst()
                throw .corruption(path: damage.path, offset: damage.offset, reason: damage.reason)
            }
            guard segmentPosition < slots.count else { finished = true; return }
            (blocks, damageAhead) = plan(segmentPosition)
            blockPosition = 0
            currentFile = nil
            segmentPosition += 1
            if !blocks.isEmpty { statistics.segmentsVisited += 1 }
        }
        let slot = slots[segmentPosition - 1]
        if let damage = damageAhead.first, damage.offset < blocks[blockPosition].bytes.lowerBound {
            damageAhead.removeFirst()
            throw .corruption(path: damage.path, offset: damage.offset, reason: damage.reason)
        }
        var range = blocks[blockPosition].bytes
        cursorBlock = blockPosition
        blockPosition += 1
        // Merge following blocks that touch this one, up to the read size.
        while blockPosition < blocks.count, blocks[blockPosition].bytes.lowerBound == range.upperBound,
              range.count + blocks[blockPosition].bytes.count <= readSize {
            range = range.lowerBound..<blocks[blockPosition].bytes.upperBound
            blockPosition += 1
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
    ///
    /// A batch is damaged if it fails its checksum or structure checks, or
    /// if its sequence numbers are not where the index puts them: the first
    /// batch of a block starts with the block's first sequence, each other
    /// batch follows the one before, and the batch that ends a block ends
    /// just before the next block's first sequence (or the segment's end).
    private func decodeBuffered() throws(SegmentLogError) {
        let bytes = UnsafeRawBufferPointer(start: buffer.base, count: buffer.count)
        while cursor < bytes.count && ready.isEmpty && readyBatches.isEmpty {
            let at = bufferOffset + Int64(cursor)
            let rest = UnsafeRawBufferPointer(rebasing: bytes[cursor...])
            let header: BatchHeader
            switch check(rest, at: at) {
            case .failure(let failure):
                let resume = nextValidBatch(in: bytes, after: cursor)
                cursor = resume ?? bytes.count
                let skipped = bufferOffset + Int64(cursor) - at
                // Known damage in the bytes just skipped is reported by this error.
                damageAhead.removeAll { $0.offset >= at && $0.offset < at + skipped }
                throw .corruption(path: bufferPath, offset: at, reason: "\(failure.reason) (\(skipped) bytes unreadable)")
            case .success(let verified):
                header = verified
            }
            let batch = UnsafeRawBufferPointer(rebasing: rest[0..<header.totalLength])
            cursor += header.totalLength
            expectedSequence = header.lastSequence &+ 1
            // Header fields are trusted only after the checksum has covered them.
            // Event times are not in the header: the planned blocks bound them.
            let byAppend = query.timeAxis == .append
            if byAppend, let until = query.until, header.minTimestamp >= until { finish(); return }
            if let through = query.throughSequence, header.firstSequence > through { finish(); return }
            if header.lastSequence < query.fromSequence { continue }
            if byAppend, let since = query.since, header.maxTimestamp < since { continue }
            if batchMode {
                readyBatches.append(StoredBatch(header: header, bytes: Array(batch)))
                continue
            }
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
                    guard query.matches(sequence: record.sequence, timestamp: record.timestamp, kind: record.kind, eventTime: record.eventTime) else { return }
                    if let keys = partitionKeys, !keys.contains(where: { $0.elementsEqual(record.partition) }) { return }
                    matched.append(record.materialize())
                }
                ready = matched
            }
        }
    }

    /// Moves `cursorBlock` to the block holding file offset `at`.
    private func block(at offset: Int64) -> PlannedBlock {
        while cursorBlock + 1 < blocks.count, blocks[cursorBlock + 1].bytes.lowerBound <= offset { cursorBlock += 1 }
        return blocks[cursorBlock]
    }

    /// The header of the batch at the start of `bytes` (file offset `at`)
    /// if the batch checks out and holds the sequences the index expects there.
    private func check(_ bytes: UnsafeRawBufferPointer, at offset: Int64) -> Swift.Result<BatchHeader, BatchDecodeFailure> {
        let header: BatchHeader
        switch Self.verify(bytes, limits: limits) {
        case .failure(let failure): return .failure(failure)
        case .success(let verified): header = verified
        }
        let block = block(at: offset)
        let expected = offset == block.bytes.lowerBound ? block.firstSequence : expectedSequence
        guard header.firstSequence == expected else {
            return .failure(.init("batch starts at sequence \(header.firstSequence) where sequence \(expected) belongs"))
        }
        let end = offset + Int64(header.totalLength)
        guard end <= block.bytes.upperBound else {
            return .failure(.init("batch of \(header.totalLength) bytes runs past the end of its index block at \(block.bytes.upperBound)"))
        }
        if end == block.bytes.upperBound, header.lastSequence &+ 1 != block.endSequence {
            return .failure(.init("batch ends at sequence \(header.lastSequence) but the index says the next batch starts at \(block.endSequence)"))
        }
        return .success(header)
    }
    private func finish() {
        finished = true
        blocks = []
        blockPosition = 0
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

    /// The position of the next batch after `position` that checks out and
    /// can continue the sequence there: a batch that starts a block must
    /// hold the block's first sequence, any other must start no earlier than
    /// the sequence expected at `position`. Sets `expectedSequence` for it.
    private func nextValidBatch(in bytes: UnsafeRawBufferPointer, after position: Int) -> Int? {
        let failedAt = bufferOffset + Int64(position)
        let failedBlock = block(at: failedAt)
        let minimum = failedAt == failedBlock.bytes.lowerBound ? failedBlock.firstSequence : expectedSequence
        var probe = position + 1
        while probe + SegmentFormat.batchHeaderSize <= bytes.count {
            if bytes.loadLE(UInt32.self, at: probe) == SegmentFormat.batchMagic,
               case .success(let header) = Self.verify(UnsafeRawBufferPointer(rebasing: bytes[probe...]), limits: limits),
               header.firstSequence >= minimum {
                let offset = bufferOffset + Int64(probe)
                let block = block(at: offset)
                if offset != block.bytes.lowerBound || header.firstSequence == block.firstSequence {
                    expectedSequence = header.firstSequence
                    return probe
                }
            }
            probe += 1
        }
        return nil
    }

    /// A block the reader will read: its bytes, the first sequence the index
    /// gives it, and the first sequence after it (the next block's, or the
    /// segment's next sequence for its last block).
    struct PlannedBlock {
        var bytes: Range<Int64>
        var firstSequence: UInt64
        var endSequence: UInt64
    }

    /// The blocks of segment `position` that can hold matching records, and
    /// the known damage there that the query could have matched, in file order.
    ///
    /// Damage that lost records (``DamagedRange/missingSequences`` not empty)
    /// is reported to every query whose sequence and time bounds could have
    /// matched one of them: what was lost cannot be filtered by partition or
    /// kind. Damage that lost none (unreadable bytes between batches, a
    /// damaged segment header before readable batches) is reported to reads
    /// that pass over it.
    private func plan(_ position: Int) -> ([PlannedBlock], [DamagedRange]) {
        let slot = slots[position]
        let index = slot.index
        let blocks = plan(index).map { block in
            PlannedBlock(
                bytes: index.blockRange(block), firstSequence: index.entries[block].firstSequence,
                endSequence: block + 1 < index.entries.count ? index.entries[block + 1].firstSequence : index.nextSequence)
        }
        guard !slot.damage.isEmpty else { return (blocks, []) }
        let spanStart = blocks.first.map { $0.bytes.lowerBound == index.entries.first?.offset ? 0 : $0.bytes.lowerBound }
        let spanEnd = blocks.last.map { $0.bytes.upperBound == index.length ? Int64.max : $0.bytes.upperBound }
        let damage = slot.damage.filter { range in
            let missing = range.missingSequences
            guard !missing.isEmpty else {
                guard let spanStart, let spanEnd else { return false }
                return range.offset >= spanStart && range.offset <= spanEnd
            }
            guard missing.upperBound > query.fromSequence, missing.lowerBound <= (query.throughSequence ?? .max) else { return false }
            // What lost records' event times were is unknown: report the
            // damage to every event-time query that reaches its sequences.
            if query.timeAxis == .event { return true }
            let times = possibleTimes(of: range, in: position)
            if let since = query.since, times.upperBound < since { return false }
            if let until = query.until, times.lowerBound >= until { return false }
            return true
        }
        return (blocks, damage.sorted { $0.offset < $1.offset })
    }

    /// The append times records lost to `range` can have had: append times
    /// never decrease along the log, so they lie between the readable
    /// records before and after the damage.
    private func possibleTimes(of range: DamagedRange, in position: Int) -> ClosedRange<Int64> {
        let index = slots[position].index
        var lower = Int64.min, upper = Int64.max
        if let before = index.entries.last(where: { $0.offset < range.offset }) {
            lower = before.timestamp
        } else if let earlier = slots[..<position].last(where: { !$0.index.isEmpty }) {
            lower = earlier.index.maxTimestamp
        }
        if let after = index.entries.first(where: { $0.offset > range.offset }) {
            upper = after.timestamp
        } else if let later = slots[(position + 1)...].first(where: { !$0.index.isEmpty }) {
            upper = later.index.minTimestamp
        }
        return lower...max(lower, upper)
    }

    /// The blocks of `index` that can hold matching records.
    private func plan(_ index: SegmentIndex) -> [Int] {
        guard !index.isEmpty, let last = index.lastSequence else { return [] }
        if last < query.fromSequence { return [] }
        if let through = query.throughSequence, index.baseSequence > through { return [] }
        if let kinds = query.kinds, !kinds.contains(where: { index.kindCounts[$0] != nil }) { return [] }
        if query.timeAxis == .event { return planByEventTime(index) }
        if let since = query.since, index.maxTimestamp < since { return [] }
        if let until = query.until, index.minTimestamp >= until { return [] }

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
        return narrowByPartition(index, first..<end)
    }

    /// The blocks of `index` within the sequence bounds whose event-time
    /// range overlaps the query's (events arrive in any order, so each
    /// block's own range decides, not a bisection).
    private func planByEventTime(_ index: SegmentIndex) -> [Int] {
        if let since = query.since, index.maxEventTime < since { return [] }
        if let until = query.until, index.minEventTime >= until { return [] }
        let first = index.firstBlock(holding: query.fromSequence)
        var end = index.entries.count
        if let through = query.throughSequence { end = min(end, index.firstBlock(holding: through) + 1) }
        guard first < end else { return [] }
        let candidates = narrowByPartition(index, first..<end)
        guard query.since != nil || query.until != nil else { return candidates }
        return candidates.filter { index.entries[$0].overlapsEventTimes(since: query.since, until: query.until) }
    }

    /// The blocks of `range` that hold the query's partitions (all of them
    /// without a partition filter).
    private func narrowByPartition(_ index: SegmentIndex, _ range: Range<Int>) -> [Int] {
        let (first, end) = (range.lowerBound, range.upperBound)
        guard let partitions = query.partitions else { return Array(first..<end) }
        var blocks: [Int] = []
        for key in partitions {
            guard let entry = index.partitions[key] else { continue }
            for run in entry.runs {
                let lower = max(Int(run.start), first), upper = min(Int(run.start + run.count), end)
                if lower < upper { blocks.append(contentsOf: lower..<upper) }
            }
        }
        blocks.sort()
        var unique: [Int] = []
        for block in blocks where block != unique.last { unique.append(block) }
        return unique
    }
}

extension SegmentLog {
    /// A reader over the records matching `query`, as of now.
    ///
    /// - Parameter query: which records to read; the default reads them all.
    /// - Returns: a reader over the log's segments as they are now; records
    ///   appended later are not in it.
    public func read(_ query: LogQuery = LogQuery()) -> LogReader {
        let slots = state.withLock { $0.slots }
        return LogReader(slots: slots, query: query, limits: options.limits, fileSystem: options.fileSystem)
    }
}
