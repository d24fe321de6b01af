import Foundation
import Testing
@testable import SegmentLog

@Suite struct RetentionTests {
    static func log(_ path: String, clock: ManualClock) throws -> SegmentLog {
        let log = try SegmentLog.open(directory: path, options: options(clock: clock, segmentMaxBytes: 4096))
        for i in 0..<200 {
            try log.append(kind: 1, partition: "p\(i % 3)", payload: payload(i, size: 100))
            clock.advance(byMicroseconds: 60_000_000)
        }
        return log
    }

    @Test func removesWholeSegmentsOlderThanTheMaximumAge() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try Self.log(directory.child(), clock: clock)
        let before = log.segments()
        let cutoff = clock.nowMicroseconds() - 3_600_000_000
        let removed = try log.applyRetention(RetentionPolicy(maxAge: 3_600_000_000))
        #expect(!removed.isEmpty)
        #expect(removed.allSatisfy { $0.timeRange!.upperBound < cutoff })
        let after = log.segments()
        #expect(after.count == before.count - removed.count)
        // What remains is the contiguous tail, every segment with a record at or after the cutoff.
        #expect(after.first!.baseSequence == removed.last!.lastSequence! + 1)
        #expect(after.dropLast().allSatisfy { $0.timeRange!.upperBound >= cutoff })
        for segment in removed { #expect(!FileManager.default.fileExists(atPath: segment.path)) }
        let records = try readAll(log)
        #expect(records.first!.sequence == after.first!.baseSequence)
        #expect(records.last!.sequence == 199)
        try log.close()
        // Reopening the trimmed log works and starts where retention left it.
        let reopened = try SegmentLog.open(directory: directory.child())
        #expect(reopened.firstSequence == after.first!.baseSequence)
        #expect(reopened.recoveryReport == RecoveryReport())
        try reopened.close()
    }

    @Test func removesOldestSegmentsUntilUnderTheSizeLimitButNeverTheActiveOne() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try Self.log(directory.child(), clock: clock)
        try log.applyRetention(RetentionPolicy(maxTotalBytes: 10_000))
        let total = log.segments().reduce(Int64(0)) { $0 + $1.fileBytes }
        #expect(total <= 10_000)
        try log.applyRetention(RetentionPolicy(maxTotalBytes: 0))
        #expect(log.segments().count == 1)
        #expect(log.segments()[0].isSealed == false)
        try log.append(kind: 1, partition: "p", payload: [1])
        try log.close()
    }

    @Test func theHookCanVetoAndRemovalStopsThere() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try Self.log(directory.child(), clock: clock)
        let segments = log.segments()
        var asked: [UInt64] = []
        let removed = try log.applyRetention(RetentionPolicy(maxTotalBytes: 0)) { segment in
            asked.append(segment.baseSequence)
            return asked.count < 3
        }
        #expect(removed.map(\.baseSequence) == Array(segments.prefix(2).map(\.baseSequence)))
        #expect(asked.count == 3)
        #expect(log.firstSequence == segments[2].baseSequence)
        try log.close()
    }

    @Test func theHookCanCarryRecordsForwardBeforeRemoval() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try Self.log(directory.child(), clock: clock)
        // Keep partition p1's records by appending them again before their segment goes.
        try log.applyRetention(RetentionPolicy(maxAge: 1)) { segment in
            let reader = log.read(LogQuery(fromSequence: segment.baseSequence, throughSequence: segment.lastSequence, partitions: ["p1"]))
            var carried: [AppendRecord] = []
            while let record = try reader.next() { carried.append(AppendRecord(kind: 7, partition: record.partition, payload: record.payload)) }
            if !carried.isEmpty { try log.append(carried) }
            return true
        }
        let p1 = try readAll(log, LogQuery(partitions: ["p1"], kinds: [7]))
        let expected = (0..<200).filter { $0 % 3 == 1 }.map { payload($0, size: 100) }
        // Every p1 record from the removed segments was carried, in order.
        #expect(Array(p1.map(\.payload).prefix(expected.count)) == Array(expected.prefix(p1.count)))
        #expect(!p1.isEmpty)
        try log.close()
    }
}
