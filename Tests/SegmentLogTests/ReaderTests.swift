import Foundation
import Synchronization
import Testing
@testable import SegmentLog

/// Time-range, partition and kind reads against a brute-force filter of
/// every record, and readers running beside a writer (#15).
@Suite struct ReaderTests {
    /// A log spread over many segments, with append times one to three seconds apart.
    static func makeLog(_ path: String, clock: ManualClock, count: Int = 3000) throws -> (SegmentLog, [LogRecord]) {
        let log = try SegmentLog.open(directory: path, options: options(clock: clock, segmentMaxBytes: 32 * 1024) { $0.indexIntervalBytes = 1024 })
        var generator = SeededGenerator(seed: 7)
        var i = 0
        while i < count {
            let size = Int(generator.next() % 8) + 1
            try log.appendBatch { (batch) throws(SegmentLogError) in
                for j in 0..<size {
                    let n = i + j
                    try batch.add(kind: UInt8(n % 4), partition: "user_\(n * 7 % 23)", payload: payload(n, size: 60 + n % 200))
                }
            }
            i += size
            clock.advance(byMicroseconds: Int64(generator.next() % 3 + 1) * 1_000_000)
        }
        return (log, try readAll(log))
    }

    @Test func randomQueriesMatchABruteForceScan() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let (log, all) = try Self.makeLog(directory.child(), clock: clock)
        #expect(all.count >= 3000)
        #expect(log.segments().count > 5)
        let start = all.first!.timestamp, end = all.last!.timestamp
        var generator = SeededGenerator(seed: 99)
        for round in 0..<300 {
            var query = LogQuery()
            if generator.next() % 2 == 0 { query.fromSequence = generator.next() % UInt64(all.count + 10) }
            if generator.next() % 4 == 0 { query.throughSequence = generator.next() % UInt64(all.count + 10) }
            if generator.next() % 2 == 0 {
                let a = start - 2_000_000 + Int64(generator.next() % UInt64(end - start + 4_000_000))
                query.since = a
                if generator.next() % 2 == 0 { query.until = a + Int64(generator.next() % 600) * 1_000_000 }
            } else if generator.next() % 3 == 0 {
                query.until = start + Int64(generator.next() % UInt64(end - start + 1))
            }
            if generator.next() % 2 == 0 {
                query.partitions = Set((0..<Int(generator.next() % 3 + 1)).map { _ in "user_\(generator.next() % 25)" })
            }
            if generator.next() % 3 == 0 { query.kinds = [UInt8(generator.next() % 5)] }
            let expected = all.filter { record in
                record.sequence >= query.fromSequence
                    && (query.throughSequence.map { record.sequence <= $0 } ?? true)
                    && (query.since.map { record.timestamp >= $0 } ?? true)
                    && (query.until.map { record.timestamp < $0 } ?? true)
                    && (query.partitions.map { $0.contains(record.partition) } ?? true)
                    && (query.kinds.map { $0.contains(record.kind) } ?? true)
            }
            #expect(try readAll(log, query) == expected, "round \(round): \(query)")
        }
        try log.close()
    }

    @Test func aNarrowTimeWindowReadsOnlyTheBlocksThatCanHoldIt() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let (log, all) = try Self.makeLog(directory.child(), clock: clock, count: 6000)
        let middle = all[all.count / 2].timestamp
        let whole = log.read()
        while try whole.next() != nil {}
        let window = log.read(LogQuery(since: middle, until: middle + 10_000_000))
        var found = 0
        while try window.next() != nil { found += 1 }
        #expect(found > 0)
        // A ten-second window of a ~two-hour log touches a few blocks, not the log.
        #expect(window.statistics.bytesRead * 50 < whole.statistics.bytesRead)
        #expect(window.statistics.segmentsVisited <= 2)
        #expect(window.statistics.batchesDecoded < 20)

        // One partition reads only the blocks that hold it.
        let partition = log.read(LogQuery(since: middle, until: middle + 600_000_000, partitions: ["user_5"]))
        var partitionRecords = 0
        while let record = try partition.next() {
            #expect(record.partition == "user_5")
            partitionRecords += 1
        }
        #expect(partitionRecords > 0)
        try log.close()
    }

    @Test func readersBesideAWriterSeeOnlyCompleteBatchesAndNeverBlockIt() async throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child(), options: options(segmentMaxBytes: 64 * 1024))
        let batches = 400
        let writerDone = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for b in 0..<batches {
                    try log.append((0..<5).map { AppendRecord(kind: 1, partition: "p\($0)", payload: payload(b * 5 + $0, size: 200)) })
                }
                writerDone.set()
            }
            for _ in 0..<3 {
                group.addTask {
                    var passes = 0
                    while !writerDone.isSet || passes < 2 {
                        let records = try readAll(log)
                        // A prefix of whole batches: contiguous, a multiple of the batch size, intact.
                        #expect(records.count % 5 == 0)
                        #expect(records.enumerated().allSatisfy { $0.offset == Int($0.element.sequence) })
                        for record in records.prefix(50) { #expect(record.payload == payload(Int(record.sequence), size: 200)) }
                        passes += 1
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try readAll(log).count == batches * 5)
        try log.close()
    }

    @Test func readOnlyOpenSeesWhatALiveWriterHasWritten() throws {
        let directory = TemporaryDirectory()
        let writer = try SegmentLog.open(directory: directory.child(), options: options(segmentMaxBytes: 8 * 1024))
        for i in 0..<100 { try writer.append(kind: 1, partition: "p", payload: payload(i, size: 150)) }
        let inspector = try SegmentLog.openReadOnly(directory: directory.child())
        #expect(try readAll(inspector).count == 100)
        #expect(inspector.recoveryReport.truncatedTail == nil)
        try writer.append(kind: 1, partition: "p", payload: [1])
        // The inspector's snapshot does not move; a fresh open sees the new record.
        #expect(try readAll(inspector).count == 100)
        #expect(try readAll(SegmentLog.openReadOnly(directory: directory.child())).count == 101)
        try writer.close()
    }

    @Test func refreshFollowsALiveWriterAcrossRotations() throws {
        let directory = TemporaryDirectory()
        let writer = try SegmentLog.open(directory: directory.child(), options: options(segmentMaxBytes: 4096))
        try writer.append(kind: 1, partition: "p", payload: payload(0, size: 100))
        let follower = try SegmentLog.openReadOnly(directory: directory.child())
        var seen = try readAll(follower).count
        #expect(seen == 1)
        for round in 1...5 {
            for i in 0..<(round * 10) { try writer.append(kind: 1, partition: "p", payload: payload(i, size: 100)) }
            try follower.refresh()
            let next = try readAll(follower, LogQuery(fromSequence: UInt64(seen)))
            #expect(next.first?.sequence == UInt64(seen))
            seen += next.count
            #expect(UInt64(seen) == writer.nextSequence)
        }
        #expect(follower.segments().count > 2)
        try writer.close()
    }
}
