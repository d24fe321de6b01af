import Testing
@testable import SegmentLog

/// The per-segment partition map against a plain dictionary model.
@Suite struct PartitionRunsTests {
    /// What the map must hold: the straightforward version.
    struct Model {
        var entries: [String: SegmentIndex.PartitionEntry] = [:]

        mutating func note(_ name: String, block: UInt32) {
            var entry = entries[name, default: SegmentIndex.PartitionEntry()]
            entry.recordCount += 1
            if let last = entry.runs.last, last.start + last.count > block {
                // Already in this block.
            } else if let last = entry.runs.last, last.start + last.count == block {
                entry.runs[entry.runs.count - 1].count += 1
            } else {
                entry.runs.append(BlockRun(start: block, count: 1))
            }
            entries[name] = entry
        }
    }

    func check(_ runs: PartitionRuns, against model: Model) {
        #expect(runs.count == model.entries.count)
        for (name, entry) in model.entries { #expect(runs[name] == entry, "partition \(name)") }
        let listed = Dictionary(uniqueKeysWithValues: runs.entries.map { ($0.name, $0.entry) })
        #expect(listed == model.entries)
        #expect(runs.recordCountsByName == model.entries.mapValues(\.recordCount))
    }

    @Test func runsFollowBlocksWithGaps() {
        var runs = PartitionRuns()
        for block: UInt32 in [0, 0, 1, 2, 4, 4, 5, 9] { runs.note("a", block: block) }
        runs.note("b", block: 3)
        #expect(runs["a"] == SegmentIndex.PartitionEntry(recordCount: 8, runs: [
            BlockRun(start: 0, count: 3), BlockRun(start: 4, count: 2), BlockRun(start: 9, count: 1),
        ]))
        #expect(runs["b"] == SegmentIndex.PartitionEntry(recordCount: 1, runs: [BlockRun(start: 3, count: 1)]))
        #expect(runs["c"] == nil)
        #expect(runs.count == 2)
    }

    @Test func matchesADictionaryOverManyNamesAndGrowth() {
        var generator = SystemRandomNumberGenerator()
        var runs = PartitionRuns(), model = Model()
        // Names of every length class the hash folds differently (empty,
        // under one word, exact words, words plus a tail, non-ASCII).
        let names = (0..<3_000).map { i -> String in
            switch i % 5 {
            case 0: return String(i)
            case 1: return "partition-\(i)"
            case 2: return "exactly8" + String(repeating: "x", count: i % 17)
            case 3: return "größe-\(i)-🚦"
            default: return i == 4 ? "" : "source-\(i % 97)_type-\(i)"
            }
        }
        // Appends count a batch at a time; a scan counts record by record
        // from the partition's bytes. Both paths feed the same map here.
        var block: UInt32 = 0
        var batch: [PendingRecord] = []
        for _ in 0..<40_000 {
            if Int.random(in: 0..<50, using: &generator) == 0 {
                runs.note(batch, block: block)
                batch.removeAll()
                block += UInt32.random(in: 1...3, using: &generator)
            }
            let name = names[Int.random(in: 0..<names.count, using: &generator)]
            if Bool.random(using: &generator) {
                batch.append(PendingRecord(kind: 1, partition: name, partitionHash: ByteHash.hash(name)))
            } else {
                var bytes = Array(name.utf8)
                bytes.withUnsafeMutableBytes { buffer in
                    runs.note(UnsafeRawBufferPointer(buffer), block: block) { String(decoding: buffer, as: UTF8.self) }
                }
            }
            model.note(name, block: block)
        }
        runs.note(batch, block: block)
        check(runs, against: model)
    }

    @Test func entriesSetFromAFileKeepExtending() {
        var runs = PartitionRuns(), model = Model()
        for block: UInt32 in [0, 1, 3] { model.note("k", block: block) }
        runs.set("k", to: model.entries["k"]!)
        for block: UInt32 in [3, 4, 6] {
            runs.note("k", block: block)
            model.note("k", block: block)
        }
        runs.note("new", block: 6)
        model.note("new", block: 6)
        check(runs, against: model)
        #expect(runs["k"]?.runs == [BlockRun(start: 0, count: 2), BlockRun(start: 3, count: 2), BlockRun(start: 6, count: 1)])
    }

    @Test func equalityIgnoresFirstSeenOrder() {
        var one = PartitionRuns(), other = PartitionRuns()
        one.note("x", block: 0); one.note("y", block: 1)
        other.note("y", block: 1); other.note("x", block: 0)
        #expect(one == other)
        other.note("x", block: 2)
        #expect(one != other)
        var third = PartitionRuns()
        third.note("x", block: 0); third.note("z", block: 1)
        #expect(one != third)
    }
}

extension PartitionRuns {
    /// One record of `name`, counted the way appends count them.
    mutating func note(_ name: String, block: UInt32) {
        note([PendingRecord(kind: 1, partition: name, partitionHash: ByteHash.hash(name))], block: block)
    }
}
