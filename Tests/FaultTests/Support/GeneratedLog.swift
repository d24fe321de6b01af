import TestSupport
import Foundation
@testable import SegmentLog

/// A log written by a test with derived records and a manual clock, with the
/// position of every batch, so sweeps can damage exact bytes and know which
/// records each byte belongs to.
struct GeneratedLog {
    /// One batch as written: its file, byte range and sequences.
    struct Batch {
        var path: String
        var offset: Int64
        var length: Int64
        var sequences: ClosedRange<UInt64>
        /// The append time every record of the batch carries.
        var timestamp: Int64
        var end: Int64 { offset + length }
    }

    let directory: String
    var batches: [Batch] = []
    var next: UInt64 = 0
    let clock: ManualClock

    /// Options the log was written with (and should be reopened with).
    static func options(clock: ManualClock, segmentMaxBytes: Int64) -> LogOptions {
        var options = LogOptions()
        options.clock = clock
        options.segmentMaxBytes = segmentMaxBytes
        options.indexIntervalBytes = 512
        return options
    }

    /// Writes `batchCount` batches of 1...`batchMax` derived records, advancing
    /// the clock by up to a second between batches, then closes the log. With
    /// `sealLast` the active segment is sealed too.
    init(directory: String, seed: UInt64, batchCount: Int, batchMax: Int = 8, segmentMaxBytes: Int64 = 16 * 1024, sealLast: Bool = false) throws {
        self.directory = directory
        clock = ManualClock(microseconds: 1_764_000_000_000_000)
        var random = SeededGenerator(seed: seed)
        let log = try SpawnGate.open(directory, options: Self.options(clock: clock, segmentMaxBytes: segmentMaxBytes))
        for _ in 0..<batchCount {
            let size = random.int(1...batchMax)
            let records = (next..<next + UInt64(size)).map(DerivedRecord.append)
            let before = log.segments().last!
            let result = try log.append(records)
            let after = log.segments().last!
            let start = after.path == before.path ? before.fileBytes : Int64(SegmentFormat.segmentHeaderSize)
            batches.append(Batch(path: after.path, offset: start, length: after.fileBytes - start, sequences: result.firstSequence...result.lastSequence, timestamp: result.timestamp))
            next = result.lastSequence + 1
            clock.advance(byMicroseconds: Int64(random.int(0...1_000_000)))
        }
        if sealLast { try log.rotate() }
        try log.close()
        if !sealLast, let active = batches.last?.path {
            // The damage these tests make models crashes, which leave no
            // clean-close index of the active segment behind.
            unlink(active.replacingOccurrences(of: ".seg", with: ".idx"))
        }
    }

    /// The segment files, oldest first.
    var segmentPaths: [String] {
        var seen: [String] = []
        for batch in batches where seen.last != batch.path { seen.append(batch.path) }
        return seen
    }

    /// The batch holding byte `offset` of `path`, if any.
    func batch(in path: String, at offset: Int64) -> Batch? {
        batches.first { $0.path == path && $0.offset <= offset && offset < $0.end }
    }

    /// The sequences `query` must return, by brute force over what was written.
    func expected(_ query: LogQuery) -> [UInt64] {
        var sequences: [UInt64] = []
        for batch in batches {
            for sequence in batch.sequences where query.matches(sequence: sequence, timestamp: batch.timestamp, kind: DerivedRecord.kind(sequence)) {
                if let partitions = query.partitions, !partitions.contains(DerivedRecord.partition(sequence)) { continue }
                sequences.append(sequence)
            }
        }
        return sequences
    }

    func options(segmentMaxBytes: Int64 = 16 * 1024) -> LogOptions { Self.options(clock: clock, segmentMaxBytes: segmentMaxBytes) }
}
