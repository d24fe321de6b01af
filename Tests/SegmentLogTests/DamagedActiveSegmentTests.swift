import Foundation
import Testing
@testable import SegmentLog

/// The last (active) segment's header damaged in a cleanly closed log, whose
/// clean-close index says how many records the segment held: readers are
/// told, writers refuse (or, with `.report`, never hand out those sequence
/// numbers again), and no file is removed (docs/format.md, "Recovery rules").
@Suite struct DamagedActiveSegmentTests {
    enum Damage: String, CaseIterable {
        case flippedBit, emptied, cutTo1, cutTo39, randomBytes, reservedByte

        /// Whether the batches after the header survive.
        var keepsBatches: Bool { self == .flippedBit || self == .randomBytes || self == .reservedByte }

        func apply(to path: String) throws {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            switch self {
            case .flippedBit: bytes[24] ^= 0x01
            case .emptied: bytes = []
            case .cutTo1: bytes = Array(bytes.prefix(1))
            case .cutTo39: bytes = Array(bytes.prefix(39))
            case .randomBytes:
                var generator = SeededGenerator(seed: 17)
                for i in 0..<SegmentFormat.segmentHeaderSize { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
            case .reservedByte: bytes[37] = 1
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test(arguments: Damage.allCases)
    func readersAreToldAndWritersNeverReuseItsSequences(damage: Damage) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try RecoveryTests.sealedLog(path)
        let last = try #require(segmentFiles(path).last)
        let base = try #require(UInt64(URL(fileURLWithPath: last).lastPathComponent.prefix(20)))
        #expect(base > 0 && FileManager.default.fileExists(atPath: last.replacingOccurrences(of: ".seg", with: ".idx")))
        try damage.apply(to: last)
        let before = directoryContents(path)

        // A writable open refuses, naming the segment, and changes nothing.
        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == last && $0.offset == 0 } ?? false
        }
        #expect(directoryContents(path) == before)

        // A read-only open lists the damage; a full read throws it once and
        // then returns every intact record.
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.contains { $0.path == last && $0.offset == 0 }, "\(inspector.recoveryReport.damage)")
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1, "\(whole.errors)")
        #expect(corruptionSite(whole.errors.first).map { $0.path == last && $0.offset == 0 } == true)
        #expect(whole.records == (damage.keepsBatches ? records : records.filter { $0.sequence < base }))
        if !damage.keepsBatches {
            // A read of sequences the segment held is told too.
            let inside = readPastErrors(inspector, LogQuery(fromSequence: base + 3))
            #expect(inside.records.isEmpty && inside.errors.count == 1)
            #expect(inspector.recoveryReport.damage.contains { $0.missingSequences == base..<UInt64(records.count) })
        }
        try inspector.close()

        // With `.report` a writer opens, keeps the damaged files and starts
        // after every sequence number they describe.
        let writer = try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        #expect(try writer.append(kind: 1, partition: "after", payload: [1]).firstSequence == UInt64(records.count))
        try writer.close()
        for (name, bytes) in before { #expect(FileManager.default.contents(atPath: path + "/" + name) == bytes, "\(name) changed") }
        let reopened = try SegmentLog.openReadOnly(directory: path)
        #expect(!reopened.recoveryReport.damage.isEmpty)
        let after = readPastErrors(reopened, LogQuery(fromSequence: UInt64(records.count)))
        #expect(after.errors.isEmpty && after.records.map(\.sequence) == [UInt64(records.count)])
    }

    /// The case from the issue: a cleanly closed one-segment log of 111
    /// records whose segment file is then emptied. Its index says it held
    /// records, so this is not the empty file a lost rename leaves.
    @Test func anEmptiedSegmentWithAnIndexIsRefusedNotRestartedAtZero() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let log = try SegmentLog.open(directory: path)
        for i in 0..<111 { try log.append(kind: 1, partition: "p", payload: payload(i, size: 30)) }
        try log.close()
        let segment = segmentFiles(path)[0]
        let index = segment.replacingOccurrences(of: ".seg", with: ".idx")
        try RecoveryTests.truncate(segment, to: 0)
        let before = directoryContents(path)

        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == segment } ?? false
        }
        #expect(directoryContents(path) == before)
        #expect(FileManager.default.fileExists(atPath: index))

        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.map(\.missingSequences) == [0..<111])
        let whole = readPastErrors(inspector)
        #expect(whole.records.isEmpty && whole.errors.count == 1)

        let writer = try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        #expect(try writer.append(kind: 1, partition: "p", payload: [1]).firstSequence == 111)
        try writer.close()
        #expect(FileManager.default.fileExists(atPath: index) && fileSize(segment) == 0)
    }

    /// Damage whose record count nothing records: a `.report` writer cannot
    /// know which sequence numbers were handed out, so it refuses too.
    @Test func aReportingWriterRefusesWhenNothingSaysWhatTheSegmentHeld() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        _ = try RecoveryTests.sealedLog(path)
        let last = try #require(segmentFiles(path).last)
        try FileManager.default.removeItem(atPath: last.replacingOccurrences(of: ".seg", with: ".idx"))
        try Damage.cutTo39.apply(to: last)
        #expect(throws: SegmentLogError.self) {
            try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        }
        #expect(fileSize(last) == 39)
        let inspector = try SegmentLog.openReadOnly(directory: path)
        let damage = try #require(inspector.recoveryReport.damage.first)
        #expect(damage.missingSequences.upperBound == .max && damage.description.contains("and later unreadable"))
        #expect(readPastErrors(inspector).errors.count == 1)
    }

    /// An emptied last segment that no index speaks for is damage too: a
    /// crash never leaves a named segment without the header that was synced
    /// before its rename, and what the file held is unknown. Read-only opens
    /// report it, writable opens refuse and change nothing.
    @Test func anEmptyLastFileWithoutAnIndexIsDamageNotALostRename() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try RecoveryTests.sealedLog(path)
        let writer = try SegmentLog.open(directory: path)
        try writer.rotate()
        try writer.close()
        let next = path + "/" + SegmentFormat.segmentName(UInt64(records.count))
        #expect(segmentFiles(path).last == next)
        try RecoveryTests.truncate(next, to: 0)
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        #expect(FileManager.default.fileExists(atPath: next), "a refused open removed the segment")
        let inspector = try SegmentLog.openReadOnly(directory: path)
        let damage = try #require(inspector.recoveryReport.damage.first)
        #expect(damage.path == next && damage.offset == 0)
        #expect(damage.missingSequences.lowerBound == UInt64(records.count))
        #expect(readPastErrors(inspector).errors.count == 1)
        try inspector.close()
    }
}
