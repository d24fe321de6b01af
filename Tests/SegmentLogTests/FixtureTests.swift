import Foundation
import Testing
@testable import SegmentLog

/// The golden logs in fixtures/v1 were written by format version 1 and must
/// stay readable by every later build; the damaged copies must keep opening
/// the way fixtures/v1/EXPECTED says.
@Suite struct FixtureTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/fixtures/v1"
    }()

    struct Expected: Equatable, CustomStringConvertible {
        var sequence: UInt64, timestamp: Int64, kind: UInt8, partition: String, length: Int, crc: UInt32
        var description: String { "#\(sequence) @\(timestamp) kind \(kind) \(partition) \(length)B crc \(String(crc, radix: 16))" }

        init(_ record: LogRecord) {
            self.init(sequence: record.sequence, timestamp: record.timestamp, kind: record.kind, partition: record.partition,
                      length: record.payload.count, crc: CRC32C.checksum(record.payload))
        }

        init(sequence: UInt64, timestamp: Int64, kind: UInt8, partition: String, length: Int, crc: UInt32) {
            (self.sequence, self.timestamp, self.kind, self.partition, self.length, self.crc) = (sequence, timestamp, kind, partition, length, crc)
        }
    }

    static func manifest(_ name: String = "basic") throws -> [Expected] {
        try String(contentsOfFile: root + "/\(name).manifest", encoding: .utf8).split(separator: "\n").map { line in
            let f = line.split(separator: " ")
            return Expected(sequence: UInt64(f[0])!, timestamp: Int64(f[1])!, kind: UInt8(f[2])!, partition: String(f[3]),
                            length: Int(f[4])!, crc: UInt32(f[5], radix: 16)!)
        }
    }

    /// A writable copy, so tests never modify the checked-in fixtures.
    static func copy(_ name: String, into directory: TemporaryDirectory) throws -> String {
        let destination = directory.child(name)
        try FileManager.default.copyItem(atPath: root + "/" + name, toPath: destination)
        return destination
    }

    @Test func basicLogReadsBackEveryRecord() throws {
        let expected = try Self.manifest()
        #expect(expected.count > 100)
        let log = try SegmentLog.openReadOnly(directory: Self.root + "/basic")
        #expect(log.recoveryReport == RecoveryReport())
        #expect(try readAll(log).map(Expected.init) == expected)
        // Index-driven reads agree with the manifest too.
        let middle = expected[expected.count / 2].timestamp
        #expect(try readAll(log, LogQuery(since: middle, partitions: ["partition-2"])).map(Expected.init)
                == expected.filter { $0.timestamp >= middle && $0.partition == "partition-2" })
    }

    @Test func tornTailFixtureLosesOnlyItsCutBatch() throws {
        let expected = try Self.manifest()
        let directory = TemporaryDirectory()
        let path = try Self.copy("torn-tail", into: directory)
        let log = try SegmentLog.open(directory: path)
        #expect(log.recoveryReport.truncatedTail != nil)
        let records = try readAll(log).map(Expected.init)
        #expect(records.count < expected.count)
        #expect(records == Array(expected.prefix(records.count)))
        try log.close()
    }

    @Test func flippedBitFixtureIsReportedAsCorruption() throws {
        let directory = TemporaryDirectory()
        let path = try Self.copy("flipped-bit", into: directory)
        let first = segmentFiles(path)[0]
        #expect(throws: SegmentLogError.self) {
            // The index is intact, so open trusts it; the damage shows when reading.
            let log = try SegmentLog.openReadOnly(directory: path)
            _ = try readAll(log)
        }
        do {
            _ = try readAll(SegmentLog.openReadOnly(directory: path))
        } catch let SegmentLogError.corruption(file, offset, reason) {
            #expect(file == first && offset == 40 && reason.contains("checksum"))
        }
        // Without its index the writable open finds the damage itself and refuses.
        try FileManager.default.removeItem(atPath: first.replacingOccurrences(of: ".seg", with: ".idx"))
        #expect(throws: SegmentLogError.corruption(path: first, offset: 40, reason: "")) {
            do { _ = try SegmentLog.open(directory: path) } catch let SegmentLogError.corruption(file, offset, _) {
                throw SegmentLogError.corruption(path: file, offset: offset, reason: "")
            }
        }
    }

    @Test func deletedIndexFixtureIsRebuilt() throws {
        let expected = try Self.manifest()
        let readOnly = try SegmentLog.openReadOnly(directory: Self.root + "/deleted-index")
        #expect(try readAll(readOnly).map(Expected.init) == expected)
        let directory = TemporaryDirectory()
        let path = try Self.copy("deleted-index", into: directory)
        let log = try SegmentLog.open(directory: path)
        #expect(log.recoveryReport.rebuiltIndexes.count == 1)
        #expect(try readAll(log).map(Expected.init) == expected)
        try log.close()
    }

    // MARK: Damaged copies of `small` (fixtures/v1/EXPECTED)

    /// Reads on past errors; the records (as manifest lines) and the errors.
    static func readPastErrors(_ directory: String) throws -> (records: [Expected], errors: [SegmentLogError]) {
        let run = SegmentLogTests.readPastErrors(try SegmentLog.openReadOnly(directory: directory))
        return (run.records.map(Expected.init), run.errors)
    }

    /// Names and bytes of the files of a fixture, to check an open changed none.
    static func snapshot(_ directory: String) -> [String: Data] { directoryContents(directory) }

    @Test func smallLogReadsBackEveryRecord() throws {
        let expected = try Self.manifest("small")
        #expect(expected.map(\.sequence) == Array(0..<73))
        let log = try SegmentLog.openReadOnly(directory: Self.root + "/small")
        #expect(log.recoveryReport == RecoveryReport())
        #expect(log.segments().count == 4)
        #expect(try readAll(log).map(Expected.init) == expected)
        #expect(FileManager.default.fileExists(atPath: Self.root + "/small/00000000000000000061.idx"))
    }

    @Test func damagedActiveHeaderIsReportedAndEveryRecordStillReads() throws {
        let expected = try Self.manifest("small")
        let directory = TemporaryDirectory()
        let path = try Self.copy("damaged-active-header", into: directory)
        let segment = path + "/00000000000000000061.seg"
        let before = Self.snapshot(path)
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        do { _ = try SegmentLog.open(directory: path) } catch { #expect(corruptionSite(error).map { $0.path == segment && $0.offset == 0 } == true) }
        #expect(Self.snapshot(path) == before)
        let log = try SegmentLog.openReadOnly(directory: path)
        #expect(log.recoveryReport.damage.map(\.path) == [segment] && log.recoveryReport.damage[0].offset == 0)
        let run = try Self.readPastErrors(path)
        #expect(run.errors.count == 1 && corruptionSite(run.errors[0]).map { $0.path == segment && $0.offset == 0 } == true)
        #expect(run.records == expected)
        // Thrown before the segment's first record.
        let reader = log.read()
        for _ in 0..<61 { _ = try reader.next() }
        #expect(throws: SegmentLogError.self) { try reader.next() }
        #expect(try reader.next()?.sequence == 61)
    }

    @Test func missingMiddleSegmentIsAGapThatReadersReport() throws {
        let expected = try Self.manifest("small")
        let directory = TemporaryDirectory()
        let path = try Self.copy("missing-middle-segment", into: directory)
        let next = path + "/00000000000000000041.seg"
        let before = Self.snapshot(path)
        #expect(throws: SegmentLogError.sequenceGap(path: next, expected: 21, found: 41)) { try SegmentLog.open(directory: path) }
        #expect(Self.snapshot(path) == before)
        let log = try SegmentLog.openReadOnly(directory: path)
        #expect(log.recoveryReport.damage.map(\.missingSequences) == [21..<41])
        #expect(log.recoveryReport.damage.first?.path == next && log.recoveryReport.damage.first?.offset == 0)
        let run = try Self.readPastErrors(path)
        #expect(run.errors.count == 1 && corruptionSite(run.errors[0]).map { $0.path == next && $0.offset == 0 } == true)
        #expect(run.records == expected.filter { !(21..<41).contains($0.sequence) })
    }

    @Test func cutSealedSegmentIsCorruptionWithItsMissingSequences() throws {
        let expected = try Self.manifest("small")
        let directory = TemporaryDirectory()
        let path = try Self.copy("cut-sealed-segment", into: directory)
        let segment = path + "/00000000000000000021.seg"
        let before = Self.snapshot(path)
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        do { _ = try SegmentLog.open(directory: path) } catch { #expect(corruptionSite(error).map { $0.path == segment && $0.offset == 652 } == true) }
        #expect(Self.snapshot(path) == before)
        let log = try SegmentLog.openReadOnly(directory: path)
        #expect(log.recoveryReport.damage.map(\.missingSequences) == [31..<41])
        let run = try Self.readPastErrors(path)
        #expect(run.errors.count == 1 && corruptionSite(run.errors[0]).map { $0.path == segment && $0.offset == 652 } == true)
        #expect(run.records == expected.filter { !(31..<41).contains($0.sequence) })
    }

    @Test func cutCleanCloseIsCorruptionNotATornTail() throws {
        let expected = try Self.manifest("small")
        let directory = TemporaryDirectory()
        let path = try Self.copy("cut-clean-close", into: directory)
        let segment = path + "/00000000000000000061.seg"
        let before = Self.snapshot(path)
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        do { _ = try SegmentLog.open(directory: path) } catch { #expect(corruptionSite(error).map { $0.path == segment && $0.offset == 321 } == true) }
        #expect(Self.snapshot(path) == before)
        let log = try SegmentLog.openReadOnly(directory: path)
        #expect(log.recoveryReport.truncatedTail == nil)
        #expect(log.recoveryReport.damage.map(\.missingSequences) == [66..<73])
        let run = try Self.readPastErrors(path)
        #expect(run.errors.count == 1 && corruptionSite(run.errors[0]).map { $0.path == segment && $0.offset == 321 } == true)
        #expect(run.records == expected.filter { $0.sequence < 66 })
        let writer = try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        #expect(try writer.append(kind: 1, partition: "after", payload: [1]).firstSequence == 73)
        try writer.close()
        for (name, bytes) in before { #expect(FileManager.default.contents(atPath: path + "/" + name) == bytes, "\(name) changed") }
    }
}
