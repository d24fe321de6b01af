import Foundation
import Testing
@testable import SegmentLog

/// A crash tail can only follow the last durable point the log knows of:
/// the segment length an index file records (a sealed segment's, the index
/// a clean close writes, or one ``SegmentLog/markDurable()`` writes).
/// Anything unreadable before it, or a file shorter than it, is corruption.
@Suite struct DurablePointTests {
    /// A cleanly closed one-segment log of 1,000 records in batches of 4.
    static func closedLog(_ path: String) throws -> [LogRecord] {
        let log = try SegmentLog.open(directory: path)
        for b in 0..<250 {
            try log.append((0..<4).map { AppendRecord(kind: 1, partition: "p\($0)", payload: payload(b * 4 + $0, size: 60)) })
        }
        let records = try readAll(log)
        try log.close()
        return records
    }

    /// What a read-only open and a full read make of damage that lost
    /// `missing`, found at `offset` of `segment`.
    static func expectReported(_ path: String, segment: String, records: [LogRecord], missing: Range<UInt64>) throws {
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.truncatedTail == nil)
        let damage = try #require(inspector.recoveryReport.damage.first)
        #expect(inspector.recoveryReport.damage.count == 1 && damage.path == segment && damage.missingSequences == missing, "\(inspector.recoveryReport.damage)")
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1, "\(whole.errors)")
        #expect(corruptionSite(whole.errors.first).map { $0.path == segment && $0.offset == damage.offset } == true)
        let kept = records.filter { !missing.contains($0.sequence) }
        #expect(whole.records.map(\.sequence) == kept.map(\.sequence))
        #expect(whole.records == kept, "a returned record differs from what was written")
        try inspector.close()
    }

    @Test func halfOfACleanlyClosedSegmentCutIsCorruptionNotATornTail() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.closedLog(path)
        let segment = segmentFiles(path)[0]
        let half = fileSize(segment) / 2
        try RecoveryTests.truncate(segment, to: half)
        let before = directoryContents(path)

        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == segment && $0.offset <= half } ?? false
        }
        #expect(directoryContents(path) == before)

        let survivors = readPastErrors(try SegmentLog.openReadOnly(directory: path)).records.count
        #expect(survivors > 300 && survivors < 1000)
        try Self.expectReported(path, segment: segment, records: records, missing: UInt64(survivors)..<1000)

        // `.report` opens, cuts nothing, and continues after the lost records.
        let writer = try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        #expect(writer.recoveryReport.truncatedTail == nil)
        #expect(try writer.append(kind: 2, partition: "after", payload: [1]).firstSequence == 1000)
        try writer.close()
        #expect(fileSize(segment) == half)
    }

    /// The same cut exactly at a batch boundary: no unreadable bytes at all,
    /// only a file shorter than its index records.
    @Test func aCleanlyClosedSegmentCutAtABatchBoundary() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.closedLog(path)
        let segment = segmentFiles(path)[0]
        let scan = try SegmentScanner(path: segment, limits: LogLimits(), indexInterval: 1)
            .scan(PosixFileSystem().open(segment, mode: .readOnly), header: SegmentHeader(baseSequence: 0, createdAt: 0), size: fileSize(segment))
        let cut = scan.index.entries[100]
        try RecoveryTests.truncate(segment, to: cut.offset)
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        #expect(fileSize(segment) == cut.offset)
        try Self.expectReported(path, segment: segment, records: records, missing: cut.firstSequence..<1000)
    }

    @Test func aFlippedBitInTheLastBatchOfACleanlyClosedLogIsCorruption() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.closedLog(path)
        let segment = segmentFiles(path)[0]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[bytes.count - 10] ^= 0x08
        try bytes.write(to: URL(fileURLWithPath: segment))

        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == segment } ?? false
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: segment)) == bytes)
        try Self.expectReported(path, segment: segment, records: records, missing: 996..<1000)
    }

    /// A durable point recorded while the log stays open: damage before it
    /// is corruption after a crash; bytes after it may still be a crash tail.
    @Test func markDurableRecordsAPointThatACrashTailCannotReach() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try SegmentLog.open(directory: path)
        for i in 0..<200 { try log.append(kind: 1, partition: "p", payload: payload(i, size: 60)) }
        #expect(try log.markDurable() == 200)
        #expect(log.durableSequenceBound >= 200)
        let durableLength = log.segments()[0].fileBytes
        for i in 200..<300 { try log.append(kind: 1, partition: "p", payload: payload(i, size: 60)) }
        let records = try readAll(log)
        let segment = segmentFiles(path)[0]
        let index = segment.replacingOccurrences(of: ".seg", with: ".idx")
        #expect(FileManager.default.fileExists(atPath: index))

        // The crash: the files as they are while the log is open.
        func crashCopy(_ name: String) throws -> String {
            let copy = directory.child(name)
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            for file in [segment, index] {
                try FileManager.default.copyItem(atPath: file, toPath: copy + "/" + URL(fileURLWithPath: file).lastPathComponent)
            }
            return copy
        }
        let copied = URL(fileURLWithPath: segment).lastPathComponent

        // Cut after the durable point: a torn tail, cut back as usual.
        let late = try crashCopy("late")
        try RecoveryTests.truncate(late + "/" + copied, to: fileSize(segment) - 5)
        let recovered = try SegmentLog.open(directory: late)
        #expect(recovered.recoveryReport.truncatedTail != nil && recovered.nextSequence == 299)
        #expect(recovered.recoveryReport.removedFiles.isEmpty)
        try recovered.close()

        // Cut before it: corruption.
        let early = try crashCopy("early")
        try RecoveryTests.truncate(early + "/" + copied, to: durableLength - 30)
        #expect {
            try SegmentLog.open(directory: early)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == early + "/" + copied } ?? false
        }
        #expect(fileSize(early + "/" + copied) == durableLength - 30)
        let inspector = try SegmentLog.openReadOnly(directory: early)
        #expect(inspector.recoveryReport.damage.map(\.missingSequences) == [199..<200])
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1 && whole.records == Array(records.prefix(199)))
        try log.close()
    }

    @Test func markDurableOnAnEmptyOrReadOnlyLog() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try SegmentLog.open(directory: path)
        #expect(try log.markDurable() == 0)
        #expect(segmentFiles(path, suffix: ".idx").isEmpty)
        try log.append(kind: 1, partition: "p", payload: [1])
        try log.close()
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(throws: SegmentLogError.readOnly(path: path)) { try inspector.markDurable() }
        #expect(throws: SegmentLogError.closed(path: path)) { try log.markDurable() }
    }
}
