import Foundation
import Testing
@testable import SegmentLog

@Suite struct RotationTests {
    @Test func rotatesBySizeAndWritesAnIndexPerSealedSegment() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child(), options: options(segmentMaxBytes: 16 * 1024))
        var written: [[UInt8]] = []
        for i in 0..<400 {
            let bytes = payload(i, size: 300)
            written.append(bytes)
            try log.append(kind: 1, partition: "p\(i % 10)", payload: bytes)
        }
        let segments = log.segments()
        #expect(segments.count > 3)
        #expect(segments.dropLast().allSatisfy { $0.isSealed })
        #expect(segments.last?.isSealed == false)
        // Every sealed segment stayed within the size limit and has an index file.
        for segment in segments.dropLast() {
            #expect(segment.fileBytes <= 16 * 1024)
            #expect(fileSize(segment.path) == segment.fileBytes)
            #expect(FileManager.default.fileExists(atPath: segment.path.replacingOccurrences(of: ".seg", with: ".idx")))
        }
        // Segments are contiguous and together hold every record.
        for (earlier, later) in zip(segments, segments.dropFirst()) {
            #expect(earlier.lastSequence! + 1 == later.baseSequence)
        }
        #expect(segments.reduce(0) { $0 + $1.recordCount } == 400)
        #expect(try readAll(log).map(\.payload) == written)
        try log.close()
    }

    @Test func rotatesByAgeOfTheFirstRecord() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock) { $0.segmentMaxAge = 60_000_000 })
        try log.append(kind: 1, partition: "a", payload: [1])
        clock.advance(byMicroseconds: 59_999_999)
        try log.append(kind: 1, partition: "a", payload: [2])
        #expect(log.segments().count == 1)
        clock.advance(byMicroseconds: 1)
        try log.append(kind: 1, partition: "a", payload: [3])
        let segments = log.segments()
        #expect(segments.count == 2)
        #expect(segments[0].recordCount == 2 && segments[0].isSealed)
        #expect(segments[1].baseSequence == 2)

        // With no appends arriving, rotateIfDue seals an old segment.
        clock.advance(byMicroseconds: 60_000_000)
        try log.rotateIfDue()
        #expect(log.segments().count == 3)
        #expect(try readAll(log).map(\.payload) == [[1], [2], [3]])
        try log.close()
    }

    @Test func reopenAfterCleanCloseContinuesTheSequenceAndClock() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        do {
            let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock, segmentMaxBytes: 2048))
            for i in 0..<50 { try log.append(kind: 2, partition: "p", payload: payload(i, size: 100)) }
            try log.close()
        }
        let before = clock.nowMicroseconds()
        clock.advance(byMicroseconds: -1_000_000) // the clock stepped back while the log was closed
        let log = try SegmentLog.open(directory: directory.child(), options: options(clock: clock, segmentMaxBytes: 2048))
        #expect(log.recoveryReport == RecoveryReport())
        #expect(log.nextSequence == 50)
        let result = try log.append(kind: 2, partition: "p", payload: [9])
        #expect(result.firstSequence == 50)
        #expect(result.timestamp >= before)
        #expect(try readAll(log).count == 51)
        try log.close()
    }

    @Test func summariesCountKindsPartitionsAndBytes() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        try log.append((0..<30).map { AppendRecord(kind: UInt8($0 % 3), partition: "p\($0 % 2)", payload: payload($0, size: 50)) })
        try log.rotate()
        let sealed = log.segments()[0]
        #expect(sealed.recordsByKind == [0: 10, 1: 10, 2: 10])
        #expect(sealed.recordsByPartition == ["p0": 15, "p1": 15])
        #expect(sealed.rawBytes == UInt64(30 * (12 + 2 + 50)))
        try log.close()
        // The index file carries the same summary.
        let reopened = try SegmentLog.openReadOnly(directory: directory.child())
        #expect(reopened.segments()[0] == sealed)
    }

    @Test func cleanCloseLetsTheNextOpenSkipScanningTheActiveSegment() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        for i in 0..<100 { try log.append(kind: 1, partition: "p\(i % 4)", payload: payload(i, size: 100)) }
        try log.close()
        let segment = segmentFiles(directory.child())[0]
        let index = segment.replacingOccurrences(of: ".seg", with: ".idx")
        #expect(FileManager.default.fileExists(atPath: index))

        let reopened = try SegmentLog.open(directory: directory.child())
        #expect(reopened.recoveryReport == RecoveryReport())
        #expect(reopened.segments().count == 1 && reopened.segments()[0].isSealed == false)
        #expect(try readAll(reopened, LogQuery(partitions: ["p1"])).count == 25)
        // Appends continue in the same segment; an open without a clean close
        // now trusts the index for the prefix it covers and scans the rest.
        try reopened.append(kind: 2, partition: "p9", payload: [1, 2, 3])
        let follower = try SegmentLog.openReadOnly(directory: directory.child())
        #expect(try readAll(follower).count == 101)
        #expect(follower.segments()[0].recordsByPartition["p9"] == 1)
        try reopened.close()
    }

    /// The clean close recorded the segment's length: bytes before it were
    /// synced, so a batch there that no longer checks out is damage, never
    /// a torn tail to cut (docs/format.md, "Recovery rules").
    @Test func aCleanCloseIndexWhoseLastBlockNoLongerMatchesIsCorruption() throws {
        let directory = TemporaryDirectory()
        let log = try SegmentLog.open(directory: directory.child())
        for i in 0..<20 { try log.append(kind: 1, partition: "p", payload: payload(i, size: 100)) }
        try log.close()
        let segment = segmentFiles(directory.child())[0]
        // Cut the last batch short and add garbage past the indexed length.
        let size = fileSize(segment)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.truncate(atOffset: UInt64(size - 20))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0x5A, count: 100))
        try handle.close()
        let cutSize = fileSize(segment)
        #expect {
            try SegmentLog.open(directory: directory.child())
        } throws: { error in
            guard case let SegmentLogError.corruption(path, offset, _) = error else { return false }
            return path == segment && offset < size - 20
        }
        #expect(fileSize(segment) == cutSize)
        #expect(FileManager.default.fileExists(atPath: segment.replacingOccurrences(of: ".seg", with: ".idx")))
        let inspector = try SegmentLog.openReadOnly(directory: directory.child())
        #expect(inspector.recoveryReport.truncatedTail == nil)
        #expect(inspector.recoveryReport.damage.map(\.missingSequences) == [19..<20])
        #expect(throws: SegmentLogError.self) { try readAll(inspector) }
        #expect(try readAll(inspector, LogQuery(throughSequence: 18)).count == 19)
    }
}
