import Foundation
import Testing
@testable import SegmentLog

/// A segment file deleted from the log: every reader whose query could have
/// matched its records is told (once), and still gets every record around
/// it; writers refuse; its index file is never removed.
@Suite struct MissingSegmentTests {
    /// A log of several sealed segments and an active one, append times one second apart.
    static func makeLog(_ path: String) throws -> [LogRecord] {
        let clock = ManualClock()
        let log = try SegmentLog.open(directory: path, options: options(clock: clock, segmentMaxBytes: 4096))
        for i in 0..<190 {
            try log.append(kind: UInt8(i % 3), partition: "p\(i % 5)", payload: payload(i, size: 100))
            clock.advance(byMicroseconds: 1_000_000)
        }
        let records = try readAll(log)
        try log.close()
        return records
    }

    static func base(_ segment: String) -> UInt64 { UInt64(URL(fileURLWithPath: segment).lastPathComponent.prefix(20))! }

    @Test(arguments: [false, true])
    func aDeletedMiddleSegmentIsReportedByEveryReadThatCoversIt(indexDeletedToo: Bool) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.makeLog(path)
        let segments = segmentFiles(path)
        try #require(segments.count >= 4)
        let lost = Self.base(segments[1])..<Self.base(segments[2])
        try FileManager.default.removeItem(atPath: segments[1])
        if indexDeletedToo { try FileManager.default.removeItem(atPath: segments[1].replacingOccurrences(of: ".seg", with: ".idx")) }
        let kept = records.filter { !lost.contains($0.sequence) }
        let before = directoryContents(path)

        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.map(\.missingSequences) == [lost])
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1, "\(whole.errors)")
        #expect(corruptionSite(whole.errors.first).map { $0.path == segments[2] && $0.offset == 0 } == true)
        #expect(whole.records == kept)
        // The error comes where the missing records belong.
        let first = inspector.read()
        for _ in 0..<Int(lost.lowerBound) { _ = try first.next() }
        #expect(throws: SegmentLogError.self) { try first.next() }
        #expect(try first.next()?.sequence == lost.upperBound)

        let lostTimes = records[Int(lost.lowerBound)].timestamp...records[Int(lost.upperBound) - 1].timestamp
        let covering = [
            LogQuery(fromSequence: lost.lowerBound + 2),
            LogQuery(fromSequence: 0, throughSequence: lost.lowerBound),
            LogQuery(since: lostTimes.lowerBound + 1_000_000, until: lostTimes.lowerBound + 3_000_000),
            LogQuery(partitions: ["p1"]),
            LogQuery(kinds: [2]),
        ]
        for query in covering {
            let run = readPastErrors(inspector, query)
            #expect(run.errors.count == 1, "\(query): \(run.errors)")
        }
        let clear = [
            LogQuery(fromSequence: lost.upperBound),
            LogQuery(throughSequence: lost.lowerBound - 1),
            LogQuery(since: lostTimes.upperBound + 2_000_000),
            LogQuery(until: lostTimes.lowerBound - 2_000_000),
        ]
        for query in clear {
            let run = readPastErrors(inspector, query)
            #expect(run.errors.isEmpty, "\(query): \(run.errors)")
        }
        try inspector.close()

        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        #expect(directoryContents(path) == before)
    }

    /// The active segment's file deleted after a clean close: its index is
    /// the only record of what it held, and nothing after it would show a gap.
    @Test func aDeletedLastSegmentWhoseIndexRemains() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.makeLog(path)
        let last = try #require(segmentFiles(path).last)
        let lost = Self.base(last)..<UInt64(records.count)
        try FileManager.default.removeItem(atPath: last)
        let index = last.replacingOccurrences(of: ".seg", with: ".idx")

        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == last } ?? false
        }
        #expect(FileManager.default.fileExists(atPath: index))

        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.map(\.missingSequences) == [lost])
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1 && whole.records == records.filter { $0.sequence < lost.lowerBound })
        try inspector.close()

        let writer = try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        #expect(try writer.append(kind: 1, partition: "p", payload: [1]).firstSequence == UInt64(records.count))
        try writer.close()
        #expect(FileManager.default.fileExists(atPath: index))
    }

    /// The first segment's file deleted: no gap shows it, its index does.
    @Test func aDeletedFirstSegmentWhoseIndexRemains() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.makeLog(path)
        let first = segmentFiles(path)[0]
        let lost = 0..<Self.base(segmentFiles(path)[1])
        try FileManager.default.removeItem(atPath: first)
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.map(\.missingSequences) == [lost])
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1 && whole.records == records.filter { !lost.contains($0.sequence) })
        #expect(readPastErrors(inspector, LogQuery(fromSequence: lost.upperBound)).errors.isEmpty)
    }
}
