import SegmentLog

/// Walks one segment file from its header to its end, checking every batch,
/// and gathers what its index should say. Bytes that fail a check and are
/// followed by a good batch are *damage*; bytes that no good batch follows
/// are the *tail* (torn by a crash, or being written by a live writer).
struct SegmentScan {
    struct Damage {
        var offset: Int64
        var length: Int64
        var reason: String
        /// Sequence numbers the damaged bytes must have held.
        var missing: Range<UInt64>
    }

    struct Batch {
        var offset: Int64
        var header: BatchFields
    }

    struct PartitionTally {
        var recordCount: UInt64 = 0
        var runs: [(start: UInt32, count: UInt32)] = []

        mutating func note(block: UInt32) {
            recordCount += 1
            if let last = runs.last {
                if last.start + last.count - 1 >= block { return }
                if last.start + last.count == block {
                    runs[runs.count - 1].count += 1
                    return
                }
            }
            runs.append((block, 1))
        }
    }

    let path: String
    var size: Int64
    var header: SegmentHeaderFields?
    var headerProblem: SegmentHeaderFields.Problem?
    var batches: [Batch] = []
    var damage: [Damage] = []
    var tail: (offset: Int64, reason: String)?
    var recordCount: UInt64 = 0
    var rawBytes: UInt64 = 0
    var storedBytes: UInt64 = 0
    var kindCounts: [UInt8: UInt64] = [:]
    /// Per partition, the blocks (as given by an index's entries) holding it.
    var partitions: [String: PartitionTally] = [:]
    /// Time going backwards between batches, with the offset of the later batch.
    var timeRegressions: [(offset: Int64, previous: Int64, found: Int64)] = []

    var lastSequence: UInt64? { batches.last?.header.lastSequence }
    var minTimestamp: Int64? { batches.first.map { b in batches.reduce(b.header.minTimestamp) { min($0, $1.header.minTimestamp) } } }
    var maxTimestamp: Int64? { batches.first.map { b in batches.reduce(b.header.maxTimestamp) { max($0, $1.header.maxTimestamp) } } }
    /// End of the last good batch.
    var validLength: Int64 { batches.last.map { $0.offset + Int64($0.header.totalLength) } ?? Int64(OnDisk.segmentHeaderSize) }

    /// Scans `file` up to `size` bytes.
    /// - Parameters:
    ///   - nameBase: the base sequence from the file name (used when the header is damaged).
    ///   - blockStarts: offsets that begin index blocks (from the index file), to tally partitions per block.
    ///   - previousMaxTimestamp: the last append time of the preceding segment.
    ///   - visit: called with each record of each good batch, in order.
    static func scan(
        file: RawFile, size: Int64, nameBase: UInt64, blockStarts: [Int64]? = nil,
        previousMaxTimestamp: Int64? = nil, visit: ((RecordSlice) -> Void)? = nil
    ) throws(RawFile.Failure) -> SegmentScan {
        var window = ScanWindow(file: file, end: size)
        var result = SegmentScan(path: file.path, size: size)
        var expected = nameBase
        var pending: (offset: Int64, reason: String)? = nil
        switch try window.with(0, min(Int(size), OnDisk.segmentHeaderSize), { SegmentHeaderFields.parse($0) }) ?? SegmentHeaderFields.parse(UnsafeRawBufferPointer(start: nil, count: 0)) {
        case .success(let header):
            result.header = header
            expected = header.baseSequence
        case .failure(let problem):
            result.headerProblem = problem
            if problem.unsupported { return result }
            pending = (0, problem.reason)
        }
        let scratch = GrowableBuffer()
        var lastTime = previousMaxTimestamp
        var block = -1
        var nextBlockIndex = 0
        let starts = blockStarts ?? []

        /// Checks the batch at `offset`; nil on success (after adding it), else why not.
        func check(_ offset: Int64, exact: Bool) throws(RawFile.Failure) -> (BatchFields?, String?) {
            guard let header = try window.with(offset, OnDisk.batchHeaderSize, { BatchFields.parse($0) }) else {
                return (nil, "incomplete batch header (\(size - offset) bytes left)")
            }
            guard let header else {
                let magic = try window.with(offset, 4, { $0.le(UInt32.self, 0) }) ?? 0
                return (nil, magic == 0 ? "zero bytes where a batch header should be" : "bad batch magic 0x\(hex(magic))")
            }
            if let reason = header.implausibility(available: size - offset) { return (nil, reason) }
            if exact ? header.firstSequence != expected : header.firstSequence < expected {
                return (nil, "batch starts at sequence \(header.firstSequence), expected \(expected)")
            }
            var slices: [(kind: UInt8, partition: String)] = []
            let failure = try window.with(offset, header.totalLength) { batch -> String? in
                BatchCheck.check(batch, header, scratch: scratch) { record in
                    slices.append((record.kind, String(decoding: record.partition, as: UTF8.self)))
                    visit?(record)
                }
            }
            guard let failure else { return (nil, "batch of \(header.totalLength) bytes is cut short") }
            if let failure { return (nil, failure) }
            while nextBlockIndex < starts.count, starts[nextBlockIndex] <= offset {
                block = nextBlockIndex
                nextBlockIndex += 1
            }
            for slice in slices {
                result.kindCounts[slice.kind, default: 0] += 1
                result.partitions[slice.partition, default: PartitionTally()].note(block: UInt32(max(block, 0)))
            }
            if let lastTime, header.minTimestamp < lastTime {
                result.timeRegressions.append((offset, lastTime, header.minTimestamp))
            }
            lastTime = max(lastTime ?? header.maxTimestamp, header.maxTimestamp)
            result.batches.append(Batch(offset: offset, header: header))
            result.recordCount += UInt64(header.recordCount)
            result.rawBytes += UInt64(header.rawLength)
            result.storedBytes += UInt64(header.totalLength)
            expected = header.lastSequence + 1
            return (header, nil)
        }

        var offset = Int64(OnDisk.segmentHeaderSize)
        while offset < size {
            if pending == nil {
                let (header, reason) = try check(offset, exact: true)
                if let header { offset += Int64(header.totalLength); continue }
                pending = (offset, reason!)
                offset += 1
                continue
            }
            // Probing for the next good batch after damage.
            guard let found = try nextMagic(&window, from: offset, size: size) else { break }
            let start = expected
            let before = result, beforeExpected = expected, beforeTime = lastTime, beforeBlock = (block, nextBlockIndex)
            let (header, _) = try check(found, exact: false)
            if header != nil, try looksLikeLostWrites(&window, from: pending!.offset, to: found) {
                // As the engine judges it (LostWriteSignature): zeros where a write
                // never reached the disk, and nothing
                // after it was ever synced, so it all is a crash tail.
                result = before
                expected = beforeExpected
                lastTime = beforeTime
                (block, nextBlockIndex) = beforeBlock
                pending!.reason += "; the batches after it were lost writes of a crash, never synced"
                break
            }
            if let header {
                result.damage.append(Damage(offset: pending!.offset, length: found - pending!.offset, reason: pending!.reason, missing: start..<header.firstSequence))
                pending = nil
                offset = found + Int64(header.totalLength)
            } else {
                offset = found + 1
            }
        }
        if let pending { result.tail = pending }
        return result
    }

    /// Whether unreadable bytes look like writes lost in a crash rather than
    /// damage: the engine's own rule, ``LostWriteSignature``.
    private static func looksLikeLostWrites(_ window: inout ScanWindow, from start: Int64, to end: Int64) throws(RawFile.Failure) -> Bool {
        var signature = LostWriteSignature()
        var position = start
        while position < end, !signature.found {
            let count = Int(min(end - position, 1 << 16))
            guard try window.with(position, count, { signature.feed($0, startOffset: position == start ? start : nil) }) != nil else { return false }
            position += Int64(count)
        }
        return signature.found
    }

    private static func nextMagic(_ window: inout ScanWindow, from start: Int64, size: Int64) throws(RawFile.Failure) -> Int64? {
        var probe = start
        let magic = OnDisk.batchMagic
        while probe + Int64(OnDisk.batchHeaderSize) <= size {
            let span = Int(min(size - probe, 1 << 16))
            guard let hit = try window.with(probe, span, { bytes -> Int? in
                var i = 0
                while i + 4 <= bytes.count {
                    if bytes.le(UInt32.self, i) == magic { return i }
                    i += 1
                }
                return -1
            }) else { return nil }
            if let hit, hit >= 0 { return probe + Int64(hit) }
            probe += Int64(max(1, span - 3))
        }
        return nil
    }
}
