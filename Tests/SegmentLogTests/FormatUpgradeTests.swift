import Foundation
import Testing
@testable import SegmentLog

/// Logs written by format version 1 (fixtures/v1) under a version 2 build:
/// read as they are, queried by event time, and appended to only through a
/// new version 2 segment.
@Suite struct FormatUpgradeTests {
    @Test func versionOneRecordsHaveTheirAppendTimeAsEventTime() throws {
        let log = try SegmentLog.openReadOnly(directory: FixtureTests.root + "/basic")
        let all = try readAll(log)
        #expect(all.allSatisfy { $0.eventTime == nil })
        let middle = all[all.count / 2].timestamp, late = all[all.count * 3 / 4].timestamp
        let byAppend = try readAll(log, LogQuery(since: middle, until: late))
        #expect(!byAppend.isEmpty)
        #expect(try readAll(log, LogQuery(since: middle, until: late, timeAxis: .event)) == byAppend)
        for segment in log.segments() where segment.recordCount > 0 {
            #expect(segment.eventTimeRange == segment.timeRange)
            #expect(segment.eventLeadRange == 0...0)
        }
    }

    @Test func aWriterSealsTheVersionOneActiveSegmentAndAppendsToANewOne() throws {
        let expected = try FixtureTests.manifest("small")
        let directory = TemporaryDirectory()
        let path = try FixtureTests.copy("small", into: directory)
        let active = path + "/00000000000000000061.seg"
        let before = try Data(contentsOf: URL(fileURLWithPath: active))
        #expect(before[8] == 1)

        let log = try SegmentLog.open(directory: path)
        let at = try log.append([AppendRecord(kind: 1, partition: "new", payload: [1, 2, 3], eventTime: 42)])
        #expect(at.firstSequence == 73)
        // The old segment is unchanged and sealed; appends went to a version 2 segment.
        #expect(try Data(contentsOf: URL(fileURLWithPath: active)) == before)
        let next = path + "/00000000000000000073.seg"
        #expect(try Data(contentsOf: URL(fileURLWithPath: next))[8] == 2)
        #expect(log.segments().map(\.isSealed) == [true, true, true, true, false])
        try log.close()

        let reopened = try SegmentLog.openReadOnly(directory: path)
        #expect(reopened.recoveryReport == RecoveryReport())
        let all = try readAll(reopened)
        #expect(Array(all.prefix(73)).map(FixtureTests.Expected.init) == expected)
        #expect(all.last?.eventTime == 42 && all.count == 74)
        #expect(try readAll(reopened, LogQuery(until: 43, timeAxis: .event)).map(\.sequence) == [73])
        let report = try SegmentLog.verify(directory: path)
        #expect(report.status == .clean, "\(report.problems)")
    }

    @Test func anEmptyVersionOneActiveSegmentIsReplacedInPlace() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try SegmentLog.open(directory: path)
        try log.close()
        // Rewrite the empty segment's header as version 1, as an older build left it.
        let segment = path + "/00000000000000000000.seg"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        let createdAt = bytes[24..<32].withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        bytes = Data(SegmentHeader(baseSequence: 0, createdAt: createdAt, version: 1).bytes)
        try bytes.write(to: URL(fileURLWithPath: segment))

        let writer = try SegmentLog.open(directory: path)
        _ = try writer.append([AppendRecord(kind: 1, partition: "p", payload: [9], eventTime: 7)])
        try writer.close()
        let after = try Data(contentsOf: URL(fileURLWithPath: segment))
        #expect(after[8] == 2)
        #expect(after[24..<32].withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } == createdAt)
        #expect(segmentFiles(path).count == 1)
        #expect(try readAll(SegmentLog.openReadOnly(directory: path)).map(\.eventTime) == [7])
    }
}
