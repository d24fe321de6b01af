import Foundation
import Testing
@testable import SegmentLog

/// A batch whose checksum is valid but whose sequence numbers are not where
/// the index (or the batch before it) puts them is damage, like a checksum
/// failure: never returned, reported once with its file and offset.
@Suite struct ForgedBatchTests {
    /// A sealed segment of batches of 1, 2, 2, 2, … records (sequences 0,
    /// 1-2, 3-4, 5-6, …) and where each batch starts.
    static func makeLog(_ path: String) throws -> (records: [LogRecord], offsets: [Int64], segment: String) {
        let log = try SegmentLog.open(directory: path)
        var offsets: [Int64] = []
        for b in 0..<20 {
            offsets.append(log.segments()[0].fileBytes)
            let count = b == 0 ? 1 : 2
            try log.append((0..<count).map { AppendRecord(kind: 1, partition: "p", payload: payload(b * 10 + $0, size: 40)) })
        }
        try log.rotate()
        let records = try readAll(log)
        try log.close()
        return (records, offsets, segmentFiles(path)[0])
    }

    /// Rewrites the first sequence of the batch at `offset` and seals it with a fresh checksum.
    static func forge(_ segment: String, batchAt offset: Int64, firstSequence: UInt64) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
        let at = Int(offset)
        withUnsafeBytes(of: firstSequence.littleEndian) { for i in 0..<8 { bytes[at + 16 + i] = $0[i] } }
        let header = try #require(bytes.withUnsafeBytes { BatchHeader.decode(UnsafeRawBufferPointer(rebasing: $0[at...])) })
        let checksum = bytes.withUnsafeBytes { BatchHeader.computeChecksum(UnsafeRawBufferPointer(rebasing: $0[at..<at + header.totalLength])) }
        withUnsafeBytes(of: checksum.littleEndian) { for i in 0..<4 { bytes[at + 4 + i] = $0[i] } }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
    }

    /// The case: sequences read back as 0 5 6 3 4 5 6 ….
    @Test func aBatchClaimingLaterSequencesIsDamage() throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, offsets, segment) = try Self.makeLog(path)
        try Self.forge(segment, batchAt: offsets[1], firstSequence: 5)

        // The index is intact and trusted: the reader itself must notice.
        let inspector = try SegmentLog.openReadOnly(directory: path)
        #expect(inspector.recoveryReport.damage.isEmpty)
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1, "\(whole.errors)")
        #expect(corruptionSite(whole.errors.first).map { $0.path == segment && $0.offset == offsets[1] } == true)
        #expect(whole.records == records.filter { $0.sequence != 1 && $0.sequence != 2 })
        try inspector.close()

        // Without its index, the scan that rebuilds it finds the same damage.
        try FileManager.default.removeItem(atPath: segment.replacingOccurrences(of: ".seg", with: ".idx"))
        #expect {
            try SegmentLog.open(directory: path)
        } throws: { error in
            corruptionSite(error as? SegmentLogError).map { $0.path == segment && $0.offset == offsets[1] } ?? false
        }
        let scanned = try SegmentLog.openReadOnly(directory: path)
        #expect(scanned.recoveryReport.damage.map(\.missingSequences) == [1..<3])
        #expect(readPastErrors(scanned).records == records.filter { $0.sequence != 1 && $0.sequence != 2 })
    }

    @Test(arguments: [0, 2, 3, 40] as [UInt64])
    func aBatchOutOfSequenceIsNeverReturned(claimed: UInt64) throws {
        let directory = TemporaryDirectory()
        let path = directory.child()
        let (records, offsets, segment) = try Self.makeLog(path)
        // The batch holding 9-10 (the sixth) claims other sequences.
        try Self.forge(segment, batchAt: offsets[5], firstSequence: claimed)
        let inspector = try SegmentLog.openReadOnly(directory: path)
        let whole = readPastErrors(inspector)
        #expect(whole.errors.count == 1, "\(whole.errors)")
        #expect(corruptionSite(whole.errors.first).map { $0.path == segment && $0.offset == offsets[5] } == true)
        #expect(whole.records == records.filter { $0.sequence != 9 && $0.sequence != 10 })
        // Reads that start past the forged batch's block but inside it are told too, or exact.
        let from = readPastErrors(inspector, LogQuery(fromSequence: 11))
        #expect(from.records == records.filter { $0.sequence >= 11 })
    }
}
