import Foundation
import Testing
@testable import SegmentLog

/// The golden logs in fixtures/v2, written by format version 2 (records
/// with event times, indexes with block event ranges), and their damaged
/// copies, which must keep opening the way fixtures/v2/EXPECTED says.
@Suite struct FixtureV2Tests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/fixtures/v2"
    }()

    struct Expected: Equatable, CustomStringConvertible {
        var sequence: UInt64, timestamp: Int64, kind: UInt8, partition: String, length: Int, crc: UInt32, eventTime: Int64?
        var description: String { "#\(sequence) @\(timestamp) kind \(kind) \(partition) \(length)B crc \(String(crc, radix: 16)) event \(eventTime.map(String.init) ?? "-")" }

        init(_ record: LogRecord) {
            (sequence, timestamp, kind, partition, length, crc, eventTime) = (
                record.sequence, record.timestamp, record.kind, record.partition, record.payload.count,
                CRC32C.checksum(record.payload), record.eventTime)
        }

        init(line: Substring) {
            let f = line.split(separator: " ")
            (sequence, timestamp, kind, partition, length, crc, eventTime) = (
                UInt64(f[0])!, Int64(f[1])!, UInt8(f[2])!, String(f[3]), Int(f[4])!, UInt32(f[5], radix: 16)!, Int64(f[6]))
        }

        var eventTimeOrAppendTime: Int64 { eventTime ?? timestamp }
    }

    static func manifest(_ name: String) throws -> [Expected] {
        try String(contentsOfFile: root + "/\(name).manifest", encoding: .utf8).split(separator: "\n").map(Expected.init(line:))
    }

    static func copy(_ name: String, into directory: TemporaryDirectory) throws -> String {
        let destination = directory.child(name)
        try FileManager.default.copyItem(atPath: root + "/" + name, toPath: destination)
        return destination
    }

    static func corruptionOffset(_ body: () throws -> Void) -> (String, Int64)? {
        do { try body() } catch let SegmentLogError.corruption(path, offset, _) { return (URL(fileURLWithPath: path).lastPathComponent, offset) } catch {}
        return nil
    }

    @Test func basicAndSmallReadBackEveryRecordWithItsEventTime() throws {
        for name in ["basic", "small"] {
            let expected = try Self.manifest(name)
            #expect(expected.contains { $0.eventTime == nil } && expected.contains { $0.eventTime != nil })
            let log = try SegmentLog.openReadOnly(directory: Self.root + "/" + name)
            #expect(log.recoveryReport == RecoveryReport())
            #expect(try readAll(log).map(Expected.init) == expected)
            // Event-time windows through the index files agree with the manifest.
            let times = expected.map(\.eventTimeOrAppendTime).sorted()
            for (a, b) in [(0, times.count / 3), (times.count / 4, times.count / 2), (times.count / 2, times.count - 1)] {
                let query = LogQuery(since: times[a], until: times[b], partitions: name == "basic" ? ["partition-1", "partition-2"] : nil, timeAxis: .event)
                let want = expected.filter { $0.eventTimeOrAppendTime >= times[a] && $0.eventTimeOrAppendTime < times[b] && (query.partitions?.contains($0.partition) ?? true) }
                #expect(try readAll(log, query).map(Expected.init) == want)
            }
            #expect(try SegmentLog.verify(directory: Self.root + "/" + name).status == .clean)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.root + "/basic/00000000000000000000.seg"))[8] == 2)
    }

    @Test func tornTailDeletedIndexAndFlippedBit() throws {
        let expected = try Self.manifest("basic")
        let directory = TemporaryDirectory()
        let torn = try SegmentLog.open(directory: Self.copy("torn-tail", into: directory))
        #expect(torn.recoveryReport.truncatedTail != nil)
        let kept = try readAll(torn).map(Expected.init)
        #expect(kept.count < expected.count && kept == Array(expected.prefix(kept.count)))
        try torn.close()

        let rebuilt = try SegmentLog.open(directory: Self.copy("deleted-index", into: directory))
        #expect(rebuilt.recoveryReport.rebuiltIndexes.count == 1)
        #expect(try readAll(rebuilt).map(Expected.init) == expected)
        try rebuilt.close()

        let flipped = try SegmentLog.openReadOnly(directory: Self.root + "/flipped-bit")
        #expect(Self.corruptionOffset { _ = try readAll(flipped) }.map { "\($0.0)@\($0.1)" } == "00000000000000000000.seg@40")
    }

    @Test func damagedCopiesOfSmallAreReportedWhereEXPECTEDSays() throws {
        let expected = try Self.manifest("small")
        let directory = TemporaryDirectory()
        // damaged-active-header
        let header = try Self.copy("damaged-active-header", into: directory)
        #expect(Self.corruptionOffset { _ = try SegmentLog.open(directory: header) }.map { "\($0.0)@\($0.1)" } == "00000000000000000053.seg@0")
        var run = readPastErrors(try SegmentLog.openReadOnly(directory: header))
        #expect(run.records.map(Expected.init) == expected && run.errors.count == 1)
        // missing-middle-segment
        let missing = try Self.copy("missing-middle-segment", into: directory)
        #expect(throws: SegmentLogError.self) { _ = try SegmentLog.open(directory: missing) }
        run = readPastErrors(try SegmentLog.openReadOnly(directory: missing))
        #expect(run.records.map(Expected.init) == expected.filter { !(21...35).contains($0.sequence) } && run.errors.count == 1)
        // cut-sealed-segment
        let sealed = try Self.copy("cut-sealed-segment", into: directory)
        #expect(Self.corruptionOffset { _ = try SegmentLog.open(directory: sealed) }.map { "\($0.0)@\($0.1)" } == "00000000000000000021.seg@376")
        run = readPastErrors(try SegmentLog.openReadOnly(directory: sealed))
        #expect(run.records.map(Expected.init) == expected.filter { !(26...35).contains($0.sequence) } && run.errors.count == 1)
        // An event-time query that reaches the lost sequences is told of them.
        let event = readPastErrors(try SegmentLog.openReadOnly(directory: sealed), LogQuery(since: .min, timeAxis: .event))
        #expect(event.errors.count == 1)
        // cut-clean-close
        let clean = try Self.copy("cut-clean-close", into: directory)
        #expect(Self.corruptionOffset { _ = try SegmentLog.open(directory: clean) }.map { "\($0.0)@\($0.1)" } == "00000000000000000053.seg@626")
        run = readPastErrors(try SegmentLog.openReadOnly(directory: clean))
        #expect(run.records.map(Expected.init) == Array(expected.prefix(63)) && run.errors.count == 1)
        var options = LogOptions()
        options.corruptionPolicy = .report
        let reported = try SegmentLog.open(directory: clean, options: options)
        #expect(try reported.append(kind: 1, partition: "p", payload: [1]).firstSequence == 73)
        try reported.close()
    }

    @Test func aForgedBlockEventRangeIsFoundByVerifyAndRepaired() throws {
        let expected = try Self.manifest("basic")
        let directory = TemporaryDirectory()
        let path = try Self.copy("forged-event-range", into: directory)
        let log = try SegmentLog.openReadOnly(directory: path)
        #expect(log.recoveryReport == RecoveryReport())
        let report = try SegmentLog.verify(directory: path)
        #expect(report.status == .corrupt)
        #expect(report.problems.contains { $0.code == .indexMismatch && $0.file == "00000000000000000000.idx" && $0.offset == 213 }, "\(report.problems)")

        let lock = try WriterLock.acquire(directory: path)
        let plan = try SegmentLog.planRepair(directory: path, lock: lock)
        try SegmentLog.applyRepair(plan, lock: lock)
        lock.release()
        let repaired = try SegmentLog.open(directory: path)
        #expect(try readAll(repaired).map(Expected.init) == expected)
        let late = expected.map(\.eventTimeOrAppendTime).sorted()[5]
        #expect(try readAll(repaired, LogQuery(until: late + 1, timeAxis: .event)).map(Expected.init)
                == expected.filter { $0.eventTimeOrAppendTime <= late })
        try repaired.close()
        #expect(try SegmentLog.verify(directory: path).status == .clean)
    }
}
