import Foundation
import Testing
@testable import SegmentLog

/// Crash recovery (docs/reliability-tests.md #4, #5, #8) and corruption reporting (#7, #9).
@Suite struct RecoveryTests {
    /// Writes `batches` batches of 1...4 records into one segment and returns
    /// the records and the offset where the last batch starts.
    static func writeLog(_ path: String, batches: Int = 6) throws -> (records: [LogRecord], lastBatchOffset: Int64, size: Int64, lastBatchFirst: UInt64) {
        let log = try SegmentLog.open(directory: path)
        for b in 0..<batches {
            try log.append((0...(b % 4)).map { AppendRecord(kind: 1, partition: "p\($0)", payload: payload(b * 10 + $0, size: 80)) })
        }
        let records = try readAll(log)
        try log.close()
        // The states these tests make come from crashes, which leave no
        // clean-close index of the active segment behind.
        try FileManager.default.removeItem(atPath: segmentFiles(path, suffix: ".idx")[0])
        let segment = segmentFiles(path)[0]
        let scan = try SegmentScanner(path: segment, limits: LogLimits(), indexInterval: 1)
            .scan(PosixFileSystem().open(segment, mode: .readOnly), header: SegmentHeader(baseSequence: 0, createdAt: 0), size: fileSize(segment))
        return (records, scan.index.entries.last!.offset, fileSize(segment), scan.index.entries.last!.firstSequence)
    }

    static func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    static func truncate(_ path: String, to length: Int64) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(length))
        try handle.close()
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    @Test func tornTailAtEveryByteOfTheLastBatchIsCutBackToTheLastWholeBatch() throws {
        let directory = TemporaryDirectory()
        let original = directory.child("original")
        let (records, lastOffset, size, lastFirst) = try Self.writeLog(original)
        let survivors = records.filter { $0.sequence < lastFirst }
        #expect(survivors.count < records.count)
        for cut in lastOffset..<size {
            let path = directory.child("cut-\(cut)")
            try Self.copy(original, to: path)
            try Self.truncate(segmentFiles(path)[0], to: cut)

            let log = try SegmentLog.open(directory: path)
            if cut == lastOffset {
                #expect(log.recoveryReport.truncatedTail == nil)
            } else {
                #expect(log.recoveryReport.truncatedTail?.offset == lastOffset, "cut at \(cut)")
                #expect(log.recoveryReport.truncatedTail?.bytes == cut - lastOffset)
            }
            #expect(try readAll(log) == survivors, "cut at \(cut)")
            // The next append continues the sequence right after the survivors.
            let next = try log.append(kind: 9, partition: "after", payload: [1, 2, 3])
            #expect(next.firstSequence == UInt64(survivors.count))
            try log.close()

            // A second reopen finds nothing to repair and changes nothing.
            let sizeBefore = fileSize(segmentFiles(path)[0])
            let again = try SegmentLog.open(directory: path)
            #expect(again.recoveryReport == RecoveryReport())
            #expect(try readAll(again).count == survivors.count + 1)
            try again.close()
            #expect(fileSize(segmentFiles(path)[0]) == sizeBefore)
        }
    }

    @Test(arguments: ["zeros", "random", "batch-magic"])
    func garbageTailIsTreatedAsTornAndNeverReturned(kind: String) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, _, size, _) = try Self.writeLog(path)
        var generator = SeededGenerator(seed: 42)
        var garbage: [UInt8]
        switch kind {
        case "zeros": garbage = [UInt8](repeating: 0, count: 5000)
        case "random": garbage = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        default:
            // A plausible-looking header whose checksum cannot match.
            garbage = [0x53, 0x4C, 0x47, 0x42] + [UInt8](repeating: 0x11, count: 200)
        }
        try Self.append(garbage, to: segmentFiles(path)[0])
        let log = try SegmentLog.open(directory: path)
        #expect(log.recoveryReport.truncatedTail?.offset == size)
        #expect(try readAll(log) == records)
        try log.close()
        #expect(fileSize(segmentFiles(path)[0]) == size)
    }

    @Test func readOnlyOpenOfATornLogModifiesNothing() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, lastOffset, size, _) = try Self.writeLog(path)
        try Self.truncate(segmentFiles(path)[0], to: size - 3)
        let before = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        let log = try SegmentLog.openReadOnly(directory: path)
        #expect(log.recoveryReport.truncatedTail?.offset == lastOffset)
        #expect(try readAll(log).count < records.count)
        #expect(throws: SegmentLogError.readOnly(path: path)) { try log.append(kind: 1, partition: "", payload: []) }
        try log.close()
        #expect(fileSize(segmentFiles(path)[0]) == size - 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).sorted() == before)
    }

    static func sealedLog(_ path: String) throws -> [LogRecord] {
        let log = try SegmentLog.open(directory: path, options: options(segmentMaxBytes: 4096))
        for i in 0..<120 { try log.append(kind: UInt8(i % 3), partition: "p\(i % 7)", payload: payload(i, size: 120)) }
        let records = try readAll(log)
        try log.close()
        return records
    }

    @Test(arguments: ["deleted", "truncated", "flipped", "emptied"])
    func damagedIndexIsDetectedAndRebuiltWithIdenticalResults(damage: String) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.sealedLog(path)
        let indexes = segmentFiles(path, suffix: ".idx")
        #expect(indexes.count >= 2)
        let target = indexes[1]
        let pristine = try Data(contentsOf: URL(fileURLWithPath: target))
        switch damage {
        case "deleted": try FileManager.default.removeItem(atPath: target)
        case "truncated": try Self.truncate(target, to: Int64(pristine.count / 2))
        case "emptied": try Self.truncate(target, to: 0)
        default:
            var bytes = pristine
            bytes[bytes.count / 3] ^= 0x04
            try bytes.write(to: URL(fileURLWithPath: target))
        }
        // Read-only: rebuilt in memory, nothing written.
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(try readAll(inspector) == records)
        #expect(try readAll(inspector, LogQuery(partitions: ["p3"])) == records.filter { $0.partition == "p3" })
        try inspector.close()

        let log = try SegmentLog.open(directory: path)
        #expect(log.recoveryReport.rebuiltIndexes == [target])
        #expect(try readAll(log) == records)
        #expect(try readAll(log, LogQuery(partitions: ["p3"], kinds: [1])) == records.filter { $0.partition == "p3" && $0.kind == 1 })
        try log.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == pristine)
    }

    @Test func bitFlipInASealedSegmentIsCorruptionNotATail() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let records = try Self.sealedLog(path)
        let first = segmentFiles(path)[0]
        try FileManager.default.removeItem(atPath: first.replacingOccurrences(of: ".seg", with: ".idx"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        let flip = 40 + 48 + 5 // inside the first batch's body
        bytes[flip] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: first))

        // A writable open refuses, naming the file and the batch's offset.
        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            guard case let SegmentLogError.corruption(file, offset, reason) = error else { return false }
            return file == first && offset == 40 && reason.contains("checksum")
        }
        // Nothing was truncated away.
        #expect(fileSize(first) == Int64(bytes.count))

        // Read-only opens for inspection, lists the damage and keeps every later record.
        let inspector = try SegmentLog.openReadOnly(directory: path)
        let damage = try #require(inspector.recoveryReport.damage.first)
        #expect(damage.path == first && damage.offset == 40)
        #expect(damage.missingSequences == 0..<1)
        #expect(throws: SegmentLogError.self) { try readAll(inspector) }
        #expect(try readAll(inspector, LogQuery(fromSequence: 1)) == Array(records.dropFirst()))
        try inspector.close()

        // With the explicit policy a writer may open it too, and appends continue.
        let writer = try SegmentLog.open(directory: path, options: options { $0.corruptionPolicy = .report })
        #expect(writer.recoveryReport.damage.count == 1)
        #expect(try writer.append(kind: 1, partition: "", payload: [1]).firstSequence == UInt64(records.count))
        try writer.close()
    }

    @Test(arguments: [8, 12, 24])
    func hostileLengthFieldsAreRejectedBeforeAllocating(fieldOffset: Int) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, lastOffset, size, lastFirst) = try Self.writeLog(path)
        let segment = segmentFiles(path)[0]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        // Stored length, raw length or record count of the last batch set to 2^32 - 1.
        for i in 0..<4 { bytes[Int(lastOffset) + fieldOffset + i] = 0xFF }
        try bytes.write(to: URL(fileURLWithPath: segment))
        // In the active segment, with nothing valid after it, it is a torn tail.
        let log = try SegmentLog.openReadOnly(directory: path)
        let tail = try #require(log.recoveryReport.truncatedTail)
        #expect(tail.offset == lastOffset && tail.bytes == size - lastOffset)
        #expect(try readAll(log) == records.filter { $0.sequence < lastFirst })
        try log.close()
    }

    @Test func hostileIndexCountsAreRejected() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        _ = try Self.sealedLog(path)
        let index = segmentFiles(path, suffix: ".idx")[0]
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: index)))
        for field in [88, 92, 96] {
            var hostile = bytes
            for i in 0..<4 { hostile[field + i] = 0xFF }
            // Re-seal the checksum so only the count check can catch it.
            let crc = CRC32C.checksum(Array(hostile[0..<(hostile.count - 4)]))
            withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { hostile[hostile.count - 4 + i] = $0[i] } }
            #expect(throws: SegmentLogError.self) {
                try hostile.withUnsafeBytes { try IndexFile.decode($0, path: index) }
            }
        }
        // The untouched file still parses.
        #expect(throws: Never.self) { try bytes.withUnsafeBytes { _ = try IndexFile.decode($0, path: index) } }
    }
}

@Suite struct LostWriteTests {
    /// Batches that a power cut never wrote back read as zeros; a later batch
    /// that did reach the disk follows them. Nothing after the hole was
    /// synced, so it is a crash tail, not corruption.
    @Test func aZeroHoleBeforeALaterBatchIsACrashTail() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, lastOffset, size, lastFirst) = try RecoveryTests.writeLog(path, batches: 30)
        let segment = segmentFiles(path)[0]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        // Zero the second-to-last batch's region: from 600 bytes before the last batch.
        let holeStart = Int(lastOffset) - 600
        for i in holeStart..<Int(lastOffset) { bytes[i] = 0 }
        try bytes.write(to: URL(fileURLWithPath: segment))

        let log = try SegmentLog.open(directory: path)
        let tail = try #require(log.recoveryReport.truncatedTail)
        #expect(tail.offset <= Int64(holeStart) && tail.offset + tail.bytes == size)
        #expect(log.recoveryReport.damage.isEmpty)
        let survivors = try readAll(log)
        #expect(survivors == Array(records.prefix(survivors.count)))
        #expect(survivors.count < Int(lastFirst))
        try log.close()
    }

    /// A single flipped bit before intact batches is damage: never truncated.
    @Test func aFlippedBitBeforeALaterBatchIsCorruption() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (_, lastOffset, size, _) = try RecoveryTests.writeLog(path, batches: 30)
        let segment = segmentFiles(path)[0]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[Int(lastOffset) - 30] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: segment))
        #expect(throws: SegmentLogError.self) { try SegmentLog.open(directory: path) }
        #expect(fileSize(segment) == size)
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.count == 1)
        #expect(inspector.recoveryReport.truncatedTail == nil)
    }

    /// A reader that keeps going after a damaged batch gets every intact record after it.
    @Test func aReaderContinuesPastDamageAfterReportingIt() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, lastOffset, _, _) = try RecoveryTests.writeLog(path, batches: 30)
        let segment = segmentFiles(path)[0]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[Int(lastOffset) - 30] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: segment))
        let inspector = try SegmentLog.openReadOnly(directory: path)
        let missing = Set(inspector.recoveryReport.damage.flatMap { Array($0.missingSequences) })
        #expect(!missing.isEmpty)
        let reader = inspector.read()
        var returned: [LogRecord] = []
        var errors = 0
        while true {
            do {
                guard let record = try reader.next() else { break }
                returned.append(record)
            } catch {
                errors += 1
                #expect(errors < 10)
            }
        }
        #expect(errors >= 1)
        #expect(returned == records.filter { !missing.contains($0.sequence) })
    }
}
