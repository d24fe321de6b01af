/// Every way an index file disagrees with what its segment holds, each with
/// the offset in the index file of the field at fault: the summary, counts
/// by kind, time entries (each must point at the start of a batch with that
/// batch's first sequence and time, and its event-time range must hold every
/// record of its block) and each partition's blocks.
struct IndexComparison {
    /// The index file as decoded.
    let index: SegmentIndex
    /// A scan of the bytes the index describes, with the index's own blocks.
    let scan: SegmentScanner.Result
    let base: UInt64
    /// The segment length the index must record.
    let length: Int64

    func mismatches() -> [(Int64, String)] {
        var out: [(Int64, String)] = []
        let actual = scan.index
        func check<T: Equatable>(_ offset: Int64, _ what: String, _ indexed: T, _ found: T) {
            if indexed != found { out.append((offset, "\(what): index says \(indexed), segment has \(found)")) }
        }
        check(16, "base sequence", index.baseSequence, base)
        check(24, "segment length", index.length, length)
        check(32, "record count", index.recordCount, actual.recordCount)
        check(40, "batch count", index.batchCount, actual.batchCount)
        if !actual.isEmpty {
            check(48, "earliest append time", index.minTimestamp, actual.minTimestamp)
            check(56, "latest append time", index.maxTimestamp, actual.maxTimestamp)
        }
        check(64, "raw bytes", index.rawBytes, actual.rawBytes)
        check(72, "stored bytes", index.storedBytes, actual.storedBytes)
        check(80, "created-at", index.createdAt, actual.createdAt)
        check(104, "last sequence", index.lastSequence.map(String.init) ?? "none", actual.lastSequence.map(String.init) ?? "none")
        if index.fileVersion >= 2 && !actual.isEmpty {
            // Exact in files this build writes; a range that holds the records
            // is still correct for queries, one that misses any is not.
            check(112, "earliest event time", index.minEventTime, actual.minEventTime)
            check(120, "latest event time", index.maxEventTime, actual.maxEventTime)
            check(128, "least event lead", index.minEventLead, actual.minEventLead)
            check(136, "greatest event lead", index.maxEventLead, actual.maxEventLead)
        }
        if index.kindCounts != actual.kindCounts {
            let describe = { (counts: [UInt8: UInt64]) in counts.sorted { $0.key < $1.key }.map { "kind \($0.key)=\($0.value)" }.joined(separator: ",") }
            out.append((Int64(IndexFile.fixedSize(version: index.fileVersion)), "record counts by kind: index says \(describe(index.kindCounts)), segment has \(describe(actual.kindCounts))"))
        }
        var batchAt: [Int64: BatchHeader] = [:]
        for batch in scan.batches { batchAt[batch.offset] = batch.header }
        let entriesStart = Int64(IndexFile.fixedSize(version: index.fileVersion) + 9 * index.kindCounts.count)
        let entrySize = Int64(IndexFile.entrySize(version: index.fileVersion))
        for (i, entry) in index.entries.enumerated() {
            let at = entriesStart + entrySize * Int64(i)
            if i < actual.entries.count, actual.entries[i].offset == entry.offset {
                let found = actual.entries[i]
                let holds = entry.minEventTime <= found.minEventTime && found.maxEventTime <= entry.maxEventTime
                if !holds || (index.fileVersion >= 2 && (entry.minEventTime, entry.maxEventTime) != (found.minEventTime, found.maxEventTime)) {
                    out.append((at + 24, "time entry \(i) gives its block event times \(entry.minEventTime)...\(entry.maxEventTime), its records have \(found.minEventTime)...\(found.maxEventTime)"))
                }
            }
            if i == 0 && entry.offset != Int64(SegmentFormat.segmentHeaderSize) {
                out.append((at, "first time entry points at offset \(entry.offset), not the first batch at \(SegmentFormat.segmentHeaderSize)"))
            }
            if let batch = batchAt[entry.offset] {
                if batch.firstSequence != entry.firstSequence || batch.minTimestamp != entry.timestamp {
                    out.append((at, "time entry \(i) says sequence \(entry.firstSequence) at \(entry.timestamp), the batch at offset \(entry.offset) has sequence \(batch.firstSequence) at \(batch.minTimestamp)"))
                }
            } else {
                out.append((at, "time entry \(i) points at offset \(entry.offset), where no batch starts"))
            }
        }
        if index.entries.isEmpty != scan.batches.isEmpty {
            out.append((92, "\(index.entries.count) time entries for \(scan.batches.count) batches"))
        }
        // Partitions: record counts and the blocks that hold each.
        let indexed = Dictionary(index.partitions.entries.map { ($0.name, $0.entry) }, uniquingKeysWith: { a, _ in a })
        let found = Dictionary(actual.partitions.entries.map { ($0.name, $0.entry) }, uniquingKeysWith: { a, _ in a })
        for key in Set(indexed.keys).subtracting(found.keys).sorted().prefix(5) {
            out.append((96, "partition '\(key)' is in the index but not in the segment"))
        }
        for key in Set(found.keys).subtracting(indexed.keys).sorted().prefix(5) {
            out.append((96, "partition '\(key)' is in the segment but not in the index"))
        }
        var reported = 0
        for key in Set(indexed.keys).intersection(found.keys).sorted() where reported < 5 {
            let entry = indexed[key]!, tally = found[key]!
            if entry.recordCount != tally.recordCount {
                out.append((96, "partition '\(key)': index counts \(entry.recordCount) records, segment has \(tally.recordCount)"))
                reported += 1
            } else if entry.runs != tally.runs {
                out.append((96, "partition '\(key)': index lists blocks \(Self.runsText(entry.runs)), segment has it in \(Self.runsText(tally.runs))"))
                reported += 1
            }
        }
        return out
    }

    private static func runsText(_ runs: [BlockRun]) -> String {
        runs.prefix(4).map { $0.count == 1 ? "\($0.start)" : "\($0.start)-\($0.start + $0.count - 1)" }.joined(separator: ",") + (runs.count > 4 ? ",…" : "")
    }
}
