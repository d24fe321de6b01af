/// Serialises a sealed segment's ``SegmentIndex`` to its `.idx` file and back
/// (docs/format.md, "Index file").
///
/// Layout (little-endian), all followed by a CRC32C of every preceding byte:
/// - header (32): magic "SIGLOGIX", version u16, flags u16, reserved u32,
///   segment base sequence u64, segment length u64
/// - summary (80): record count, batch count, min time, max time, raw bytes,
///   stored bytes, created-at (8 bytes each), kind-count entries u32,
///   time entries u32, partitions u32, reserved u32, last sequence u64
/// - version 2 only, event summary (32): min event time, max event time,
///   min and max of event time minus append time (i64 each)
/// - kind counts: kind u8, count u64
/// - time entries: offset u64, first sequence u64, timestamp i64, and in
///   version 2 the block's min and max event time i64
/// - partitions: key length u16, key, record count u64, run count u32,
///   runs (first block u32, block count u32)
///
/// Version 1 files carry no event times: decoding gives each block the
/// append-time range it must lie in (from its own first timestamp to the
/// next block's), which is every record's event time there.
enum IndexFile {
    static let headerSize = 32
    static let summarySize = 80
    static let eventSummarySize = 32
    /// The fixed part of a version 1 file.
    static let fixedSize = headerSize + summarySize

    static func fixedSize(version: UInt16) -> Int { fixedSize + (version >= 2 ? eventSummarySize : 0) }
    static func entrySize(version: UInt16) -> Int { version >= 2 ? 40 : 24 }

    static func encode(_ index: SegmentIndex) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fixedSize(version: SegmentFormat.version) + index.entries.count * 40 + index.partitions.count * 48 + 4)
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        put(SegmentFormat.indexMagic)
        put(SegmentFormat.version)
        put(UInt16(0))
        put(UInt32(0))
        put(index.baseSequence)
        put(UInt64(index.length))
        put(index.recordCount)
        put(index.batchCount)
        put(index.minTimestamp)
        put(index.maxTimestamp)
        put(index.rawBytes)
        put(index.storedBytes)
        put(index.createdAt)
        put(UInt32(index.kindCounts.count))
        put(UInt32(index.entries.count))
        put(UInt32(index.partitions.count))
        put(UInt32(0))
        put(index.lastSequence ?? 0)
        put(index.minEventTime)
        put(index.maxEventTime)
        put(index.minEventLead)
        put(index.maxEventLead)
        for (kind, count) in index.kindCounts.sorted(by: { $0.key < $1.key }) {
            put(kind)
            put(count)
        }
        for entry in index.entries {
            put(UInt64(entry.offset))
            put(entry.firstSequence)
            put(entry.timestamp)
            put(entry.minEventTime)
            put(entry.maxEventTime)
        }
        for (key, partition) in index.partitions.entries.sorted(by: { $0.name < $1.name }) {
            let utf8 = Array(key.utf8)
            put(UInt16(utf8.count))
            out.append(contentsOf: utf8)
            put(partition.recordCount)
            put(UInt32(partition.runs.count))
            for run in partition.runs {
                put(run.start)
                put(run.count)
            }
        }
        put(CRC32C.checksum(out))
        return out
    }

    /// Parses an index file, checking its checksum, version and every count
    /// against the bytes actually present before allocating anything from it.
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws(SegmentLogError) -> SegmentIndex {
        func bad(_ offset: Int, _ reason: String) -> SegmentLogError {
            .corruption(path: path, offset: Int64(offset), reason: reason)
        }
        guard bytes.count >= fixedSize + 4 else { throw bad(0, "index file is \(bytes.count) bytes, shorter than its fixed part") }
        let bodyEnd = bytes.count - 4
        let stored = bytes.loadLE(UInt32.self, at: bodyEnd)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<bodyEnd]))
        guard stored == computed else {
            throw bad(bodyEnd, "index checksum 0x\(String(stored, radix: 16)) does not match computed 0x\(String(computed, radix: 16))")
        }
        guard bytes.loadLE(UInt64.self, at: 0) == SegmentFormat.indexMagic else { throw bad(0, "not an index file") }
        let version = bytes.loadLE(UInt16.self, at: 8)
        guard SegmentFormat.readableVersions.contains(version) else { throw .unsupportedFormat(path: path, version: version) }
        for (offset, value) in [(10, UInt64(bytes.loadLE(UInt16.self, at: 10))), (12, UInt64(bytes.loadLE(UInt32.self, at: 12))),
                                (100, UInt64(bytes.loadLE(UInt32.self, at: 100)))] where value != 0 {
            throw bad(offset, "index flags or reserved bytes at offset \(offset) are 0x\(String(value, radix: 16)), not zero")
        }
        let fixedPart = fixedSize(version: version), entryBytes = entrySize(version: version)
        guard bytes.count >= fixedPart + 4 else { throw bad(0, "version \(version) index file is \(bytes.count) bytes, shorter than its fixed part") }

        var index = SegmentIndex(baseSequence: bytes.loadLE(UInt64.self, at: 16), createdAt: bytes.loadLE(Int64.self, at: 80))
        index.fileVersion = version
        index.length = Int64(bitPattern: bytes.loadLE(UInt64.self, at: 24))
        index.recordCount = bytes.loadLE(UInt64.self, at: 32)
        index.batchCount = bytes.loadLE(UInt64.self, at: 40)
        index.minTimestamp = bytes.loadLE(Int64.self, at: 48)
        index.maxTimestamp = bytes.loadLE(Int64.self, at: 56)
        index.rawBytes = bytes.loadLE(UInt64.self, at: 64)
        index.storedBytes = bytes.loadLE(UInt64.self, at: 72)
        let kindCount = Int(bytes.loadLE(UInt32.self, at: 88))
        let entryCount = Int(bytes.loadLE(UInt32.self, at: 92))
        let partitionCount = Int(bytes.loadLE(UInt32.self, at: 96))
        if index.recordCount > 0 {
            let last = bytes.loadLE(UInt64.self, at: 104)
            guard last >= index.baseSequence, last - index.baseSequence >= index.recordCount - 1 else {
                throw bad(104, "last sequence \(last) cannot follow base \(index.baseSequence) with \(index.recordCount) records")
            }
            index.lastSequence = last
        }

        guard index.length >= Int64(SegmentFormat.segmentHeaderSize) else { throw bad(24, "segment length \(index.length) is shorter than a segment header") }
        // The summary must describe batches that fit the segment: every batch
        // has a 48-byte header and at least one 12-byte record, and all of
        // them lie between the segment header and the segment's end.
        let headerBytes = UInt64(SegmentFormat.segmentHeaderSize)
        guard index.batchCount <= index.recordCount, (index.batchCount == 0) == (index.recordCount == 0) else {
            throw bad(40, "batch count \(index.batchCount) does not fit \(index.recordCount) records")
        }
        guard index.storedBytes <= UInt64(index.length) - headerBytes,
              index.storedBytes / UInt64(SegmentFormat.batchHeaderSize) >= index.batchCount else {
            throw bad(72, "stored bytes \(index.storedBytes) do not fit \(index.batchCount) batches in a segment of \(index.length) bytes")
        }
        guard index.rawBytes / UInt64(SegmentFormat.recordHeaderSize) >= index.recordCount else {
            throw bad(64, "raw bytes \(index.rawBytes) cannot hold \(index.recordCount) records")
        }
        if version >= 2 {
            index.minEventTime = bytes.loadLE(Int64.self, at: 112)
            index.maxEventTime = bytes.loadLE(Int64.self, at: 120)
            index.minEventLead = bytes.loadLE(Int64.self, at: 128)
            index.maxEventLead = bytes.loadLE(Int64.self, at: 136)
            if index.recordCount > 0 {
                guard index.minEventTime <= index.maxEventTime else {
                    throw bad(112, "event times run backwards (\(index.minEventTime) > \(index.maxEventTime))")
                }
                guard index.minEventLead <= index.maxEventLead else {
                    throw bad(128, "event leads run backwards (\(index.minEventLead) > \(index.maxEventLead))")
                }
            }
        } else if index.recordCount > 0 {
            index.minEventTime = index.minTimestamp
            index.maxEventTime = index.maxTimestamp
            index.minEventLead = 0
            index.maxEventLead = 0
        }
        guard kindCount <= 256 else { throw bad(88, "kind count \(kindCount) exceeds 256") }
        var offset = fixedPart
        guard kindCount * 9 <= bodyEnd - offset else { throw bad(88, "kind count \(kindCount) runs past the end of the file") }
        var kindTotal: UInt64 = 0
        for _ in 0..<kindCount {
            let count = bytes.loadLE(UInt64.self, at: offset + 1)
            index.kindCounts[bytes[offset]] = count
            kindTotal &+= count
            offset += 9
        }
        guard kindTotal == index.recordCount else { throw bad(fixedPart, "kind counts add up to \(kindTotal), not \(index.recordCount)") }
        guard entryCount <= (bodyEnd - offset) / entryBytes else { throw bad(92, "time entry count \(entryCount) runs past the end of the file") }
        guard (entryCount == 0) == (index.recordCount == 0) else { throw bad(92, "\(entryCount) time entries for \(index.recordCount) records") }
        index.entries.reserveCapacity(entryCount)
        var previous: TimeIndexEntry? = nil
        for _ in 0..<entryCount {
            var entry = TimeIndexEntry(
                offset: Int64(bitPattern: bytes.loadLE(UInt64.self, at: offset)),
                firstSequence: bytes.loadLE(UInt64.self, at: offset + 8),
                timestamp: bytes.loadLE(Int64.self, at: offset + 16))
            if version >= 2 {
                entry.minEventTime = bytes.loadLE(Int64.self, at: offset + 24)
                entry.maxEventTime = bytes.loadLE(Int64.self, at: offset + 32)
                guard entry.minEventTime <= entry.maxEventTime,
                      entry.minEventTime >= index.minEventTime, entry.maxEventTime <= index.maxEventTime else {
                    throw bad(offset + 24, "block event times \(entry.minEventTime)...\(entry.maxEventTime) are backwards or outside the segment's \(index.minEventTime)...\(index.maxEventTime)")
                }
            }
            let ordered = previous.map { entry.offset > $0.offset && entry.firstSequence > $0.firstSequence && entry.timestamp >= $0.timestamp }
                ?? (entry.offset >= Int64(SegmentFormat.segmentHeaderSize) && entry.firstSequence >= index.baseSequence)
            guard ordered, entry.offset < index.length else { throw bad(offset, "time entry (offset \(entry.offset), sequence \(entry.firstSequence)) is out of order or outside the segment") }
            index.entries.append(entry)
            previous = entry
            offset += entryBytes
        }
        if version < 2 {
            // Append times never decrease, so a block's records lie between
            // its first timestamp and the next block's (or the segment's last).
            for i in index.entries.indices {
                index.entries[i].minEventTime = index.entries[i].timestamp
                index.entries[i].maxEventTime = i + 1 < index.entries.count ? index.entries[i + 1].timestamp : index.maxTimestamp
            }
        }
        if let last = index.entries.last {
            // Unreadable bytes inside a segment always end a block (the batch
            // after them starts a new one), so the last block holds only
            // batches: it cannot be longer than all of them together.
            guard UInt64(index.length - last.offset) <= index.storedBytes else {
                throw bad(24, "segment length \(index.length) puts \(index.length - last.offset) bytes in the last block, more than the \(index.storedBytes) bytes of all batches")
            }
            guard last.firstSequence <= index.lastSequence ?? 0, index.entries[0].timestamp >= index.minTimestamp, last.timestamp <= index.maxTimestamp else {
                throw bad(104, "time entries run outside the segment's sequences or times")
            }
        } else if index.length != Int64(headerBytes) {
            throw bad(24, "segment length \(index.length) for a segment without batches")
        }
        guard partitionCount <= (bodyEnd - offset) / 14 else { throw bad(96, "partition count \(partitionCount) runs past the end of the file") }
        var partitionTotal: UInt64 = 0
        for _ in 0..<partitionCount {
            guard bodyEnd - offset >= 2 else { throw bad(offset, "partition entry runs past the end of the file") }
            let keyLength = Int(bytes.loadLE(UInt16.self, at: offset))
            guard bodyEnd - offset >= 2 + keyLength + 12 else { throw bad(offset, "partition key of \(keyLength) bytes runs past the end of the file") }
            let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset + 2..<offset + 2 + keyLength]), as: UTF8.self)
            guard index.partitions[key] == nil else { throw bad(offset, "partition '\(key)' is listed twice") }
            offset += 2 + keyLength
            var entry = SegmentIndex.PartitionEntry()
            entry.recordCount = bytes.loadLE(UInt64.self, at: offset)
            let runCount = Int(bytes.loadLE(UInt32.self, at: offset + 8))
            offset += 12
            guard runCount <= (bodyEnd - offset) / 8 else { throw bad(offset - 4, "run count \(runCount) runs past the end of the file") }
            entry.runs.reserveCapacity(runCount)
            for _ in 0..<runCount {
                let run = BlockRun(start: bytes.loadLE(UInt32.self, at: offset), count: bytes.loadLE(UInt32.self, at: offset + 4))
                guard run.count > 0, Int(run.start) + Int(run.count) <= entryCount else { throw bad(offset, "block run \(run.start)+\(run.count) is outside the \(entryCount) blocks") }
                entry.runs.append(run)
                offset += 8
            }
            partitionTotal &+= entry.recordCount
            index.partitions.set(key, to: entry)
        }
        guard partitionTotal == index.recordCount else { throw bad(96, "partition counts add up to \(partitionTotal), not \(index.recordCount)") }
        guard offset == bodyEnd else { throw bad(offset, "\(bodyEnd - offset) unexpected bytes before the checksum") }
        return index
    }
}
