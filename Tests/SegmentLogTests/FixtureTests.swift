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

    static func manifest() throws -> [Expected] {
        try String(contentsOfFile: root + "/basic.manifest", encoding: .utf8).split(separator: "\n").map { line in
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
}
