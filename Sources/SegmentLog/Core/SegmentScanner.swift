/// A stretch of a segment that could not be read, followed by readable batches.
public struct DamagedRange: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int64
    public var length: Int64
    public var reason: String
    /// Sequence numbers the damaged bytes held (empty if none can be
    /// missing). An upper bound of `UInt64.max` means the count is unknown:
    /// the log's last segment cannot be read and nothing records how many
    /// records it held.
    public var missingSequences: Range<UInt64>

    public var description: String {
        var text = "\(path) offset \(offset) (\(length) bytes): \(reason)"
        if missingSequences.upperBound == .max {
            text += "; sequences \(missingSequences.lowerBound) and later unreadable (how many there were is unknown)"
        } else if !missingSequences.isEmpty {
            text += "; sequences \(missingSequences.lowerBound)...\(missingSequences.upperBound - 1) unreadable"
        }
        return text
    }
}

/// Reads a segment from its header to its end, checking every batch, and
/// builds its index. Used to recover the active segment, to rebuild lost
/// index files and by `verify`.
struct SegmentScanner {
    struct Result {
        var index: SegmentIndex
        /// Damage followed by good batches: corruption, never a crash.
        var damage: [DamagedRange] = []
        /// Where unreadable bytes begin that no valid batch follows (a torn or
        /// garbage tail), with the reason the first of them failed.
        var tail: (offset: Int64, reason: String)?
        /// Last sequence number seen, if any.
        var lastSequence: UInt64?
        /// Every batch that checked out, in file order (only when the
        /// scanner was asked to keep them, for `verify`).
        var batches: [(offset: Int64, header: BatchHeader)] = []
    }

    let path: String
    let limits: LogLimits
    let indexInterval: Int
    /// When set, blocks begin exactly at these offsets (an index file's time
    /// entries) instead of every `indexInterval` bytes, so the index the scan
    /// builds can be compared with that file entry for entry.
    var blockStarts: Set<Int64>? = nil
    /// Whether ``Result/batches`` is filled.
    var keepsBatches = false

    init(path: String, limits: LogLimits, indexInterval: Int, blockStarts: Set<Int64>? = nil, keepsBatches: Bool = false) {
        self.path = path
        self.limits = limits
        self.indexInterval = indexInterval
        self.blockStarts = blockStarts
        self.keepsBatches = keepsBatches
    }

    func scan(_ file: any LogFile, header: SegmentHeader, size: Int64) throws(SegmentLogError) -> Result {
        try scan(file, resuming: SegmentIndex(baseSequence: header.baseSequence, createdAt: header.createdAt), size: size)
    }

    /// Continues a scan after the batches `index` already describes (used to
    /// follow a segment that a live writer is still appending to).
    ///
    /// `durableLength` is the segment length an index file recorded (see
    /// docs/format.md, "Recovery rules"): those bytes were synced, so
    /// unreadable bytes that start before it are never taken for writes a
    /// crash lost.
    func scan(_ file: any LogFile, resuming index: SegmentIndex, size: Int64, durableLength: Int64 = 0) throws(SegmentLogError) -> Result {
        var window = FileWindow(file: file, end: size)
        var result = Result(index: index, lastSequence: index.lastSequence)
        let scratch = GrowableBuffer()
        var offset = index.length
        var expected = index.nextSequence
        while offset < size {
            let outcome = try check(&window, at: offset, size: size, minimumSequence: expected, exactSequence: true, scratch: scratch, into: &result)
            if let found = outcome.header {
                offset += Int64(found.totalLength)
                expected = found.lastSequence + 1
                continue
            }
            // Find the next batch that checks out; if there is one, the bytes in
            // between are damage, otherwise they are the torn tail of a crash.
            var probe = offset + 1
            var resumed = false
            var reason = outcome.reason!
            while probe + Int64(SegmentFormat.batchHeaderSize) <= size {
                guard let word = try window.bytes(at: probe, count: 4) else { break }
                if word.loadLE(UInt32.self, at: 0) == SegmentFormat.batchMagic {
                    let before = result.index, beforeLast = result.lastSequence, beforeBatches = result.batches.count
                    let candidate = try check(&window, at: probe, size: size, minimumSequence: expected, exactSequence: false, scratch: scratch, into: &result)
                    if let found = candidate.header {
                        if offset >= durableLength, try Self.looksLikeLostWrites(&window, from: offset, to: probe) {
                            // Unsynced batches that never reached the disk, with later
                            // ones that did: nothing after the hole was ever synced
                            // (a sync writes back everything before it), so it is a crash tail.
                            result.index = before
                            result.lastSequence = beforeLast
                            result.batches.removeSubrange(beforeBatches...)
                            reason += "; the batches after it were lost writes of a crash, never synced"
                            break
                        }
                        result.damage.append(DamagedRange(
                            path: path, offset: offset, length: probe - offset, reason: outcome.reason!,
                            missingSequences: expected..<found.firstSequence))
                        offset = probe + Int64(found.totalLength)
                        expected = found.lastSequence + 1
                        resumed = true
                        break
                    }
                }
                probe += 1
            }
            if !resumed {
                result.tail = (offset, reason)
                break
            }
        }
        return result
    }

    /// Whether unreadable bytes look like writes lost in a crash rather than
    /// damage (see ``LostWriteSignature``).
    static func looksLikeLostWrites(_ window: inout FileWindow, from start: Int64, to end: Int64) throws(SegmentLogError) -> Bool {
        var signature = LostWriteSignature()
        var position = start
        while position < end, !signature.found {
            let count = Int(min(end - position, 64 * 1024))
            guard let bytes = try window.bytes(at: position, count: count) else { return false }
            signature.feed(bytes, startOffset: position == start ? start : nil)
            position += Int64(count)
        }
        return signature.found
    }

    /// Checks the batch at `offset`; on success adds it to `result` and returns
    /// its header, otherwise returns why it is not a valid batch.
    private func check(
        _ window: inout FileWindow, at offset: Int64, size: Int64, minimumSequence: UInt64, exactSequence: Bool,
        scratch: GrowableBuffer, into result: inout Result
    ) throws(SegmentLogError) -> (header: BatchHeader?, reason: String?) {
        guard let headerBytes = try window.bytes(at: offset, count: SegmentFormat.batchHeaderSize) else {
            return (nil, "incomplete batch header (\(size - offset) bytes left)")
        }
        guard let header = BatchHeader.decode(headerBytes) else {
            let magic = headerBytes.loadLE(UInt32.self, at: 0)
            return (nil, magic == 0 ? "zero bytes where a batch header should be" : "bad batch magic 0x\(String(magic, radix: 16))")
        }
        if let reason = header.implausibility(available: size - offset, limits: limits) { return (nil, reason) }
        if exactSequence ? header.firstSequence != minimumSequence : header.firstSequence < minimumSequence {
            return (nil, "batch starts at sequence \(header.firstSequence), expected \(minimumSequence)")
        }
        guard let batch = try window.bytes(at: offset, count: header.totalLength) else {
            return (nil, "batch of \(header.totalLength) bytes is cut short")
        }
        let computed = BatchHeader.computeChecksum(batch)
        guard computed == header.checksum else {
            return (nil, "batch checksum 0x\(String(header.checksum, radix: 16)) does not match computed 0x\(String(computed, radix: 16))")
        }
        switch BatchDecoder.records(of: batch, header: header, scratch: scratch) {
        case .failure(let failure):
            return (nil, failure.reason)
        case .success(let raw):
            let block: Int
            if let blockStarts {
                block = result.index.addBatch(at: offset, header: header, interval: .max, startsBlock: blockStarts.contains(offset))
            } else {
                block = result.index.addBatch(at: offset, header: header, interval: indexInterval, startsBlock: !exactSequence)
            }
            if keepsBatches { result.batches.append((offset, header)) }
            BatchDecoder.forEachRecord(in: raw, header: header) { record in
                result.index.addRecord(kind: record.kind, partition: record.partition, block: block,
                                       eventTime: record.eventTime, appendTime: record.timestamp)
            }
            result.lastSequence = header.lastSequence
            return (header, nil)
        }
    }
}
