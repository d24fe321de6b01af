import Testing
@testable import SegmentLog

/// Found by the segment fuzz target: when a segment's first batch is damaged,
/// the scan resumes at a later batch and its index's first time entry is not
/// at the segment header's end — and `IndexFile.decode` rejects exactly
/// that. An index the engine writes for such a segment (say a damaged active
/// segment opened with `.report`, later sealed) could then never be loaded
/// again. The index of any scan must survive its own file format.
@Suite("Index of a scan that starts past damage")
struct IndexRoundTripTests {
    @Test func scannedIndexEncodesAndDecodes() throws {
        let directory = TemporaryDirectory("roundtrip")
        let generated = try GeneratedLog(directory: directory.child(), seed: 11, batchCount: 6, segmentMaxBytes: 1 << 20)
        let path = generated.segmentPaths[0]
        var bytes = FileBytes.read(path)
        bytes[SegmentFormat.segmentHeaderSize + 20] ^= 0x10
        let file = MemoryLogFile(path: path, bytes: bytes)
        let header = SegmentHeader(baseSequence: 0, createdAt: 0)
        let scan = try SegmentScanner(path: path, limits: LogLimits(), indexInterval: 512).scan(file, header: header, size: Int64(bytes.count))
        try #require(scan.damage.count == 1 && scan.index.recordCount > 0, "expected damage at the first batch and readable batches after it")
        let encoded = IndexFile.encode(scan.index)
        let decoded = encoded.withUnsafeBytes { buffer in
            Result { () throws(SegmentLogError) in try IndexFile.decode(buffer, path: path) }
        }
        #expect(try decoded.get() == scan.index, "the index of a scan past damage does not survive encoding: \(decoded)")
    }
}
