/// A sparse time-index entry: the batch at `offset` starts with `firstSequence`
/// stamped `timestamp`. The batches from one entry up to the next form a *block*;
/// its records' event times (append times for records without one) lie in
/// `minEventTime ... maxEventTime`.
struct TimeIndexEntry: Equatable, Sendable {
    var offset: Int64
    var firstSequence: UInt64
    var timestamp: Int64
    var minEventTime: Int64 = .max
    var maxEventTime: Int64 = .min

    /// Whether the block can hold a record with event time in `since ..< until`.
    func overlapsEventTimes(since: Int64?, until: Int64?) -> Bool {
        if let since, maxEventTime < since { return false }
        if let until, minEventTime >= until { return false }
        return true
    }
}

/// What the index needs of a record appended but not yet counted: its
/// partition name's hash is taken while the name's bytes are at hand.
struct PendingRecord {
    var kind: UInt8
    var partition: String
    var partitionHash: UInt64
    var eventTime: Int64?
}

/// A run of consecutive blocks `start ..< start + count` that hold a partition.
struct BlockRun: Equatable, Sendable {
    var start: UInt32
    var count: UInt32
}

/// What one segment holds, where, and from which partitions: the contents of
/// its index file, or the running index of the active segment.
struct SegmentIndex: Equatable, Sendable {
    var baseSequence: UInt64
    var createdAt: Int64
    /// End of the last valid batch (the segment's length once sealed).
    var length: Int64 = Int64(SegmentFormat.segmentHeaderSize)
    var recordCount: UInt64 = 0
    /// The last sequence number in the segment (nil while empty). Equal to
    /// `baseSequence + recordCount - 1` unless damage removed records.
    var lastSequence: UInt64?
    var batchCount: UInt64 = 0
    var minTimestamp: Int64 = .max
    var maxTimestamp: Int64 = .min
    var rawBytes: UInt64 = 0
    var storedBytes: UInt64 = 0
    /// Range of the records' event times (append times for records without one).
    var minEventTime: Int64 = .max
    var maxEventTime: Int64 = .min
    /// Range of event time minus append time over the records: how far
    /// event time runs ahead of (positive) or behind (negative) append time.
    var minEventLead: Int64 = .max
    var maxEventLead: Int64 = .min
    var kindCounts: [UInt8: UInt64] = [:]
    /// The index file version this was read from (the current one when built
    /// here): version 1 files hold no event times, only bounds derived from
    /// append times.
    var fileVersion: UInt16 = SegmentFormat.version
    var entries: [TimeIndexEntry] = []
    var partitions = PartitionRuns()

    struct PartitionEntry: Equatable, Sendable {
        var recordCount: UInt64 = 0
        var runs: [BlockRun] = []
    }

    init(baseSequence: UInt64, createdAt: Int64) {
        self.baseSequence = baseSequence
        self.createdAt = createdAt
    }

    /// The sequence number the next record of this segment gets.
    var nextSequence: UInt64 { lastSequence.map { $0 + 1 } ?? baseSequence }
    var isEmpty: Bool { recordCount == 0 }

    /// Records a batch that ends the segment so far and returns its block number.
    /// `startsBlock` forces a new block, so that no block spans damaged bytes.
    mutating func addBatch(at offset: Int64, header: BatchHeader, interval: Int, startsBlock: Bool = false) -> Int {
        if !startsBlock, let last = entries.last, offset - last.offset < Int64(interval) {
            // Same block as the previous batch.
        } else {
            entries.append(TimeIndexEntry(offset: offset, firstSequence: header.firstSequence, timestamp: header.minTimestamp))
        }
        length = offset + Int64(header.totalLength)
        recordCount += UInt64(header.recordCount)
        lastSequence = header.lastSequence
        batchCount += 1
        minTimestamp = min(minTimestamp, header.minTimestamp)
        maxTimestamp = max(maxTimestamp, header.maxTimestamp)
        rawBytes += UInt64(header.rawLength)
        storedBytes += UInt64(header.totalLength)
        return entries.count - 1
    }

    /// Notes the event time of one record of block `block`, appended at `appendTime`.
    @inline(__always)
    mutating func noteEventTime(_ eventTime: Int64?, appendTime: Int64, block: Int) {
        let event = eventTime ?? appendTime
        entries[block].minEventTime = min(entries[block].minEventTime, event)
        entries[block].maxEventTime = max(entries[block].maxEventTime, event)
        minEventTime = min(minEventTime, event)
        maxEventTime = max(maxEventTime, event)
        let (difference, overflow) = event.subtractingReportingOverflow(appendTime)
        let lead = overflow ? (event > appendTime ? .max : .min) : difference
        minEventLead = min(minEventLead, lead)
        maxEventLead = max(maxEventLead, lead)
    }

    /// Records the records of the batch most recently added, all stamped `appendTime`.
    mutating func addRecords(_ records: [PendingRecord], block: Int, appendTime: Int64) {
        // Batches usually hold one kind: count runs of a kind, not records.
        var runKind: UInt8 = 0, runLength: UInt64 = 0
        var low = Int64.max, high = Int64.min
        var anyWithout = false
        for record in records {
            if let event = record.eventTime {
                low = min(low, event)
                high = max(high, event)
            } else {
                anyWithout = true
            }
            if record.kind != runKind {
                if runLength > 0 { kindCounts[runKind, default: 0] += runLength }
                runKind = record.kind
                runLength = 0
            }
            runLength += 1
        }
        if runLength > 0 { kindCounts[runKind, default: 0] += runLength }
        // The extremes decide every range the index keeps.
        if anyWithout { noteEventTime(nil, appendTime: appendTime, block: block) }
        if low <= high {
            noteEventTime(low, appendTime: appendTime, block: block)
            noteEventTime(high, appendTime: appendTime, block: block)
        }
        partitions.note(records, block: UInt32(block))
    }

    /// Records one record of the batch most recently added, its partition
    /// name given as UTF-8 bytes.
    mutating func addRecord(kind: UInt8, partition: UnsafeRawBufferPointer, block: Int, eventTime: Int64?, appendTime: Int64) {
        noteEventTime(eventTime, appendTime: appendTime, block: block)
        kindCounts[kind, default: 0] += 1
        partitions.note(partition, block: UInt32(block)) { String(decoding: partition, as: UTF8.self) }
    }

    /// The byte range of block `i`, ending at `end` for the last block.
    func blockRange(_ i: Int) -> Range<Int64> {
        let start = entries[i].offset
        let end = i + 1 < entries.count ? entries[i + 1].offset : length
        return start..<end
    }

    /// The first block that can hold a record stamped `timestamp` or later:
    /// the last entry stamped strictly earlier (append times never decrease).
    func firstBlock(atOrAfter timestamp: Int64) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].timestamp < timestamp { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// The block that holds `sequence` (or the first one).
    func firstBlock(holding sequence: UInt64) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].firstSequence <= sequence { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }
}
