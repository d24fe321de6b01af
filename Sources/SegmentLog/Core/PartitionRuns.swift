/// Which blocks of one segment hold each partition, and how many records.
///
/// Every appended record updates this map, so it is laid out for that path:
/// partitions get dense slot numbers, per-slot tallies sit in parallel arrays,
/// the run a partition is currently extending is kept inline (its earlier runs
/// are touched only when a gap starts a new one), and names are found through
/// an open-addressing table of slot numbers keyed by the ``ByteHash`` of the
/// name's UTF-8 bytes, compared by name only when the hashes agree.
struct PartitionRuns: Sendable {
    /// What the append path tallies per partition.
    private struct Tally {
        var recordCount: UInt64 = 0
        /// The run being extended (count 0 until the first record).
        var lastRun = BlockRun(start: 0, count: 0)
    }

    /// Partition names by slot, in first-seen order.
    private var names: [String] = []
    private var hashes: [UInt64] = []
    private var tallies: [Tally] = []
    /// The runs before each slot's `lastRun`, in block order.
    private var earlierRuns: [[BlockRun]] = []
    /// Slot + 1 per bucket, 0 for an empty bucket; the count is a power of two.
    private var buckets: [Int32] = []
    /// Reused by ``note(_:block:)`` for the slots of one batch.
    private var batchSlots: [Int32] = []

    init() {}

    /// Distinct partitions.
    var count: Int { names.count }

    /// The entry of `name`, or nil if no record of the segment has it.
    subscript(name: String) -> SegmentIndex.PartitionEntry? {
        slot(of: name, hash: ByteHash.hash(name)).map(entry(at:))
    }

    /// Every partition with its entry, in no particular order.
    var entries: [(name: String, entry: SegmentIndex.PartitionEntry)] {
        names.indices.map { (names[$0], entry(at: $0)) }
    }

    /// Record counts by partition name.
    var recordCountsByName: [String: UInt64] {
        Dictionary(uniqueKeysWithValues: zip(names, tallies.lazy.map(\.recordCount)))
    }

    /// Counts one record whose partition name is the UTF-8 `bytes`, in
    /// `block` (blocks never decrease); `name()` is called only for a
    /// partition the segment has not seen.
    mutating func note(_ bytes: UnsafeRawBufferPointer, block: UInt32, name: () -> String) {
        let hash = ByteHash.hash(bytes)
        note(slot: slot(of: bytes, hash: hash) ?? insert(name(), hash: hash), block: block)
    }

    /// Counts the records of one batch, all in `block`: their slots are
    /// found first, then the tallies are updated in one pass.
    mutating func note(_ records: [PendingRecord], block: UInt32) {
        batchSlots.removeAll(keepingCapacity: true)
        for record in records {
            let slot = slot(of: record.partition, hash: record.partitionHash) ?? insert(record.partition, hash: record.partitionHash)
            batchSlots.append(Int32(slot))
        }
        tallies.withUnsafeMutableBufferPointer { tallies in
            for slot in batchSlots {
                let slot = Int(slot)
                if let closed = Self.count(&tallies[slot], block: block) { earlierRuns[slot].append(closed) }
            }
        }
    }

    private mutating func note(slot: Int, block: UInt32) {
        if let closed = Self.count(&tallies[slot], block: block) { earlierRuns[slot].append(closed) }
    }

    /// Counts one record in `block`; returns the run it closed, if any.
    @inline(__always)
    private static func count(_ tally: inout Tally, block: UInt32) -> BlockRun? {
        tally.recordCount += 1
        let last = tally.lastRun
        if last.count == 0 {
            tally.lastRun = BlockRun(start: block, count: 1)
        } else if last.start + last.count == block {
            tally.lastRun.count += 1
        } else if last.start + last.count < block {
            tally.lastRun = BlockRun(start: block, count: 1)
            return last
        }
        return nil
    }

    /// Sets `name`'s entry outright (reading an index file); `name` must be new.
    mutating func set(_ name: String, to entry: SegmentIndex.PartitionEntry) {
        let slot = insert(name, hash: ByteHash.hash(name))
        tallies[slot].recordCount = entry.recordCount
        if let last = entry.runs.last {
            tallies[slot].lastRun = last
            earlierRuns[slot] = Array(entry.runs.dropLast())
        }
    }

    private func entry(at slot: Int) -> SegmentIndex.PartitionEntry {
        var runs = earlierRuns[slot]
        if tallies[slot].lastRun.count > 0 { runs.append(tallies[slot].lastRun) }
        return SegmentIndex.PartitionEntry(recordCount: tallies[slot].recordCount, runs: runs)
    }

    private func slot(of name: String, hash: UInt64) -> Int? {
        slot(hash: hash) { $0 == name }
    }

    private func slot(of bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        slot(hash: hash) { stored in
            stored.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) } ?? stored.utf8.elementsEqual(bytes)
        }
    }

    @inline(__always)
    private func slot(hash: UInt64, matches: (String) -> Bool) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = Int(buckets[bucket])
            if stored == 0 { return nil }
            let slot = stored - 1
            if hashes[slot] == hash, matches(names[slot]) { return slot }
            bucket = (bucket + 1) & mask
        }
    }

    private mutating func insert(_ name: String, hash: UInt64) -> Int {
        let slot = names.count
        names.append(name)
        hashes.append(hash)
        tallies.append(Tally())
        earlierRuns.append([])
        if buckets.count < 2 * names.count {
            rebuildBuckets(count: max(16, 4 * names.count))
        } else {
            place(slot)
        }
        return slot
    }

    private mutating func rebuildBuckets(count: Int) {
        var size = 1
        while size < count { size <<= 1 }
        buckets = Array(repeating: 0, count: size)
        for slot in names.indices { place(slot) }
    }

    private mutating func place(_ slot: Int) {
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hashes[slot]) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = Int32(slot + 1)
    }
}

extension PartitionRuns: Equatable {
    /// Equal when both hold the same partitions with the same entries,
    /// whatever order they were first seen in.
    static func == (lhs: PartitionRuns, rhs: PartitionRuns) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for slot in lhs.names.indices where rhs[lhs.names[slot]] != lhs.entry(at: slot) { return false }
        return true
    }
}
