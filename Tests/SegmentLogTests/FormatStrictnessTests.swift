import Foundation
import SegmentLog
import Testing
import TestSupport

/// Fields docs/format.md shows as `0` are refused with any other value
/// (even under a valid checksum), a batch's time range must be exactly its
/// records', and a batch whose own bytes hold a lost-write zero run is made
/// durable before its append returns.
@Suite("Format strictness (docs/format.md)")
struct FormatStrictnessTests {
    /// A cleanly closed log of 3 batches (so damage anywhere is corruption,
    /// never a crash tail); returns its directory and segment path.
    private func cleanLog() throws -> (TemporaryDirectory, String, String) {
        let temp = TemporaryDirectory()
        let path = temp.child()
        let log = try SegmentLog.open(directory: path)
        for batch in 0..<3 {
            _ = try log.append((0..<4).map { AppendRecord(kind: 1, partition: "p\($0)", payload: Array("batch \(batch) record \($0)".utf8)) })
        }
        try log.close()
        return (temp, path, path + "/00000000000000000000.seg")
    }

    private func patch(_ file: String, _ change: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }

    private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    private func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    private func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }

    /// Recomputes the first batch's checksum (bytes 8..<48 and its body).
    private func resealFirstBatch(_ bytes: inout [UInt8]) {
        let start = 40, stored = Int(read32(bytes, start + 8))
        let crc = CRC32C.checksum(Array(bytes[(start + 8)..<(start + 48 + stored)]))
        bytes.replaceSubrange((start + 4)..<(start + 8), with: le32(crc))
    }

    private func firstReadError(_ directory: String) throws -> SegmentLogError? {
        let log = try SegmentLog.openReadOnly(directory: directory)
        defer { try? log.close() }
        let reader = log.read()
        do {
            while try reader.next() != nil {}
            return nil
        } catch let error as SegmentLogError {
            return error
        }
    }

    @Test func segmentHeaderFlagsAndReservedBytesMustBeZero() throws {
        for offset in [10, 11, 12, 15] {
            let (temp, directory, segment) = try cleanLog()
            _ = temp
            try patch(segment) { bytes in
                bytes[offset] = 0x01
                bytes.replaceSubrange(32..<36, with: le32(CRC32C.checksum(Array(bytes[0..<32]))))
            }
            #expect {
                try SegmentLog.open(directory: directory)
            } throws: { error in
                guard case .corruption(let path, _, let reason)? = error as? SegmentLogError else { return false }
                return path.hasSuffix(".seg") && reason.contains("must be zero")
            }
        }
    }

    @Test func batchFlagsAndReservedBytesMustBeZero() throws {
        for offset in [29, 30, 31] {
            let (temp, directory, segment) = try cleanLog()
            _ = temp
            try patch(segment) { bytes in
                bytes[40 + offset] = 0x80
                resealFirstBatch(&bytes)
            }
            let error = try firstReadError(directory)
            guard case .corruption(_, 40, let reason)? = error else {
                Issue.record("byte \(offset): expected corruption at offset 40, got \(String(describing: error))")
                continue
            }
            #expect(reason.contains("not zero"), "\(reason)")
            let report = try SegmentLog.verify(directory: directory)
            #expect(report.errors > 0)
        }
    }

    @Test func aBatchsTimeRangeIsExactlyItsRecords() throws {
        // A maximum later than every record, and a minimum that no record has.
        for (field, delta) in [(40, Int64(1)), (32, Int64(-1))] {
            let (temp, directory, segment) = try cleanLog()
            _ = temp
            try patch(segment) { bytes in
                let at = 40 + field
                let value = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
                bytes.replaceSubrange(at..<(at + 8), with: le64(UInt64(bitPattern: Int64(bitPattern: value) + delta)))
                resealFirstBatch(&bytes)
            }
            let error = try firstReadError(directory)
            guard case .corruption(_, 40, let reason)? = error else {
                Issue.record("field \(field): expected corruption at offset 40, got \(String(describing: error))")
                continue
            }
            #expect(reason.contains("timestamp"), "\(reason)")
        }
    }

    @Test func indexFlagsAndReservedBytesMustBeZero() throws {
        for offset in [10, 12, 100] {
            let temp = TemporaryDirectory()
            let directory = temp.child()
            var options = LogOptions()
            options.segmentMaxBytes = 400
            let log = try SegmentLog.open(directory: directory, options: options)
            for n in 0..<20 { _ = try log.append(kind: 1, partition: "p", payload: Array("record number \(n) with some text".utf8)) }
            try log.close()
            let index = directory + "/00000000000000000000.idx"
            try patch(index) { bytes in
                bytes[offset] = 0x02
                let end = bytes.count - 4
                bytes.replaceSubrange(end..<bytes.count, with: le32(CRC32C.checksum(Array(bytes[0..<end]))))
            }
            let report = try SegmentLog.verify(directory: directory)
            #expect(report.problems.contains { $0.code == .indexUnreadable && $0.file == "00000000000000000000.idx" && $0.message.contains("not zero") },
                    "offset \(offset): \(report.problems)")
        }
    }

    @Test func zeroRunDetectionMatchesACountOfEveryByte() {
        var random = SplitMix64(seed: 0x5A45_524F)
        for _ in 0..<3_000 {
            let count = Int(random.next() % 600)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next() | 1) }
            // One or two zero runs of lengths around the threshold.
            for _ in 0..<Int(random.next() % 3) where count > 0 {
                let length = min(count, 50 + Int(random.next() % 30))
                let start = Int(random.next() % UInt64(count - length + 1))
                for i in start..<(start + length) { bytes[i] = 0 }
            }
            var longest = 0, run = 0
            for byte in bytes { run = byte == 0 ? run + 1 : 0; longest = max(longest, run) }
            let found = bytes.withUnsafeBytes { LostWriteSignature.holdsZeroRun($0) }
            #expect(found == (longest >= 64), "count \(count), longest run \(longest)")
        }
    }

    @Test func aBatchHoldingAZeroRunIsDurableBeforeItsAppendReturns() throws {
        let temp = TemporaryDirectory()
        let directory = temp.child()
        var options = LogOptions()
        // The largest acceleration: LZ4 skips through data it cannot
        // compress, and the zeros inside it stay literal (or the body is
        // stored raw), so the stored batch holds a run of 64 zeros.
        options.compressionAcceleration = 65_537
        let log = try SegmentLog.open(directory: directory, options: options)
        var random = SplitMix64(seed: 7)
        let noise = { (count: Int) in (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next() | 1) } }
        _ = try log.append(kind: 1, partition: "p", payload: Array("an ordinary first batch".utf8))
        let zeros = noise(3_000) + [UInt8](repeating: 0, count: 200) + noise(3_000)
        _ = try log.append(kind: 1, partition: "p", payload: zeros)
        _ = try log.append(kind: 1, partition: "p", payload: Array("a batch after it".utf8))

        // What a crash leaves now: the files as they are, no clean close.
        let copy = temp.child("crashed-copy")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name != "LOCK" {
            try FileManager.default.copyItem(atPath: directory + "/" + name, toPath: copy + "/" + name)
        }
        try log.close()
        // The active segment has an index (its durable point) covering the zero-run batch.
        #expect(FileManager.default.fileExists(atPath: copy + "/00000000000000000000.idx"))
        // Bit rot inside that batch, away from its zeros, is damage: a
        // writable open refuses instead of cutting it and the batch after it.
        let segment = copy + "/00000000000000000000.seg"
        try patch(segment) { bytes in
            let second = 40 + 48 + Int(read32(bytes, 40 + 8))
            bytes[second + 48 + 100] ^= 0x10
        }
        #expect {
            try SegmentLog.open(directory: copy)
        } throws: { error in
            if case .corruption = error as? SegmentLogError { return true }
            return false
        }
    }
}
