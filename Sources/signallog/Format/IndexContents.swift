/// A sealed segment's `.idx` file, parsed independently of the engine
/// (layout in docs/format.md). Every count is checked against the bytes
/// present before anything is allocated from it.
struct IndexContents {
    struct Entry: Equatable {
        var offset: Int64
        var firstSequence: UInt64
        var timestamp: Int64
    }

    struct Partition: Equatable {
        var recordCount: UInt64
        /// Runs of blocks: (first block, block count).
        var runs: [(start: UInt32, count: UInt32)]

        static func == (a: Partition, b: Partition) -> Bool {
            a.recordCount == b.recordCount && a.runs.elementsEqual(b.runs, by: { $0.start == $1.start && $0.count == $1.count })
        }
    }

    var baseSequence: UInt64 = 0
    var segmentLength: Int64 = 0
    var recordCount: UInt64 = 0
    var batchCount: UInt64 = 0
    var minTimestamp: Int64 = 0
    var maxTimestamp: Int64 = 0
    var rawBytes: UInt64 = 0
    var storedBytes: UInt64 = 0
    var createdAt: Int64 = 0
    var lastSequence: UInt64?
    var kindCounts: [UInt8: UInt64] = [:]
    var entries: [Entry] = []
    var partitions: [String: Partition] = [:]

    struct Problem: Error {
        var offset: Int64
        var reason: String
    }

    static let fixedSize = 112

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<IndexContents, Problem> {
        func bad(_ offset: Int, _ reason: String) -> Result<IndexContents, Problem> { .failure(Problem(offset: Int64(offset), reason: reason)) }
        guard bytes.count >= fixedSize + 4 else { return bad(0, "index file is \(bytes.count) bytes, shorter than its fixed part (\(fixedSize + 4))") }
        let bodyEnd = bytes.count - 4
        let stored = bytes.le(UInt32.self, bodyEnd)
        let computed = OnDisk.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<bodyEnd]))
        guard stored == computed else { return bad(bodyEnd, "index checksum 0x\(hex(stored)) does not match computed 0x\(hex(computed))") }
        guard bytes.le(UInt64.self, 0) == OnDisk.indexMagic else { return bad(0, "not an index file (bad magic)") }
        let version = bytes.le(UInt16.self, 8)
        guard version == OnDisk.version else { return bad(8, "index format version \(version) is not supported") }

        var index = IndexContents()
        index.baseSequence = bytes.le(UInt64.self, 16)
        index.segmentLength = Int64(bitPattern: bytes.le(UInt64.self, 24))
        index.recordCount = bytes.le(UInt64.self, 32)
        index.batchCount = bytes.le(UInt64.self, 40)
        index.minTimestamp = bytes.le(Int64.self, 48)
        index.maxTimestamp = bytes.le(Int64.self, 56)
        index.rawBytes = bytes.le(UInt64.self, 64)
        index.storedBytes = bytes.le(UInt64.self, 72)
        index.createdAt = bytes.le(Int64.self, 80)
        let kindCount = Int(bytes.le(UInt32.self, 88))
        let entryCount = Int(bytes.le(UInt32.self, 92))
        let partitionCount = Int(bytes.le(UInt32.self, 96))
        if index.recordCount > 0 { index.lastSequence = bytes.le(UInt64.self, 104) }

        var offset = fixedSize
        guard kindCount <= 256, kindCount * 9 <= bodyEnd - offset else { return bad(88, "kind count \(kindCount) runs past the end of the file") }
        for _ in 0..<kindCount {
            index.kindCounts[bytes[offset]] = bytes.le(UInt64.self, offset + 1)
            offset += 9
        }
        guard entryCount <= (bodyEnd - offset) / 24 else { return bad(92, "time entry count \(entryCount) runs past the end of the file") }
        index.entries.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            index.entries.append(Entry(
                offset: Int64(bitPattern: bytes.le(UInt64.self, offset)),
                firstSequence: bytes.le(UInt64.self, offset + 8),
                timestamp: bytes.le(Int64.self, offset + 16)))
            offset += 24
        }
        guard partitionCount <= (bodyEnd - offset) / 14 else { return bad(96, "partition count \(partitionCount) runs past the end of the file") }
        for _ in 0..<partitionCount {
            guard bodyEnd - offset >= 2 else { return bad(offset, "partition entry runs past the end of the file") }
            let keyLength = Int(bytes.le(UInt16.self, offset))
            guard bodyEnd - offset >= 2 + keyLength + 12 else { return bad(offset, "partition key of \(keyLength) bytes runs past the end of the file") }
            let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset + 2..<offset + 2 + keyLength]), as: UTF8.self)
            offset += 2 + keyLength
            let count = bytes.le(UInt64.self, offset)
            let runCount = Int(bytes.le(UInt32.self, offset + 8))
            offset += 12
            guard runCount <= (bodyEnd - offset) / 8 else { return bad(offset - 4, "run count \(runCount) runs past the end of the file") }
            var runs: [(start: UInt32, count: UInt32)] = []
            runs.reserveCapacity(runCount)
            for _ in 0..<runCount {
                runs.append((bytes.le(UInt32.self, offset), bytes.le(UInt32.self, offset + 4)))
                offset += 8
            }
            guard index.partitions[key] == nil else { return bad(offset, "partition '\(key)' is listed twice") }
            index.partitions[key] = Partition(recordCount: count, runs: runs)
        }
        guard offset == bodyEnd else { return bad(offset, "\(bodyEnd - offset) unexpected bytes before the checksum") }
        return .success(index)
    }
}
