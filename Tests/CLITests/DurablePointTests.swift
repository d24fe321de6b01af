import Foundation
import SegmentLog
import Testing

/// `verify` and `repair` on damage before the last durable point the log
/// records (an index written at a clean close), and on index files whose
/// segment length cannot be true.
@Suite("verify and repair before the durable point")
struct DurablePointTests {
    /// A cleanly closed storage log in one segment: its index covers every record.
    private func cleanlyClosedLog(_ temp: TemporaryDirectory, count: Int = 100) throws -> (log: String, segment: String, index: String) {
        let log = temp.child()
        try makeStorageLog(log, count: count, batch: 10).close()
        let segment = log + "/00000000000000000000.seg", index = log + "/00000000000000000000.idx"
        #expect(FileManager.default.fileExists(atPath: index), "a clean close writes the active segment's index")
        return (log, segment, index)
    }

    private func problems(_ result: RunResult) throws -> [[String: Any]] {
        try #require((try result.json() as? [String: Any])?["problems"] as? [[String: Any]])
    }

    @Test func cleanlyClosedSegmentCutInHalfIsCorruptionAndRepairKeepsSequences() throws {
        let temp = TemporaryDirectory()
        let (log, segment, _) = try cleanlyClosedLog(temp)
        let size = fileSize(segment)
        #expect(truncate(segment, off_t(size / 2)) == 0)

        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1, "\(verify)")
        let found = try problems(verify)
        let damage = try #require(found.first { $0["code"] as? String == "durable-damage" }, "\(verify)")
        #expect(damage["severity"] as? String == "error")
        #expect(damage["file"] as? String == "00000000000000000000.seg")
        #expect((damage["message"] as? String)?.contains("…99") == true, "\(damage)")
        #expect(!found.contains { $0["code"] as? String == "torn-tail" }, "not a torn tail: \(found)")

        let repair = try signallog(["repair", log, "--yes"])
        #expect(repair.status == 0, "\(repair)")
        #expect(repair.stdout.contains("placeholder"), "\(repair)")
        // Every sequence is still there; the lost ones as placeholders, so none is ever reused.
        let records = try signallog(["cat", log, "-o", "ndjson"]).ndjson()
        #expect(records.map { $0["sequence"] as? Int } == Array(0..<100))
        let lost = records.filter { $0["kind"] as? String == "lost" }.count
        #expect(lost > 0 && lost < 100)
        #expect(try signallog(["verify", log]).status == 0)
    }

    @Test func cleanlyClosedSegmentCutAtABatchBoundaryIsCorruption() throws {
        let temp = TemporaryDirectory()
        let (log, segment, _) = try cleanlyClosedLog(temp)
        // Cut after the first batch exactly: what is left reads cleanly, yet records are gone.
        let bytes = fileBytes(segment)
        let firstBatchLength = 48 + Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 40 + 8, as: UInt32.self) })
        #expect(truncate(segment, off_t(40 + firstBatchLength)) == 0)
        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1, "\(verify)")
        #expect(try problems(verify).contains { $0["code"] as? String == "durable-damage" && ($0["message"] as? String)?.contains("10…99") == true })
        let repair = try signallog(["repair", log, "--yes"])
        #expect(repair.status == 0, "\(repair)")
        #expect(try signallog(["cat", log, "-o", "ndjson"]).ndjson().map { $0["sequence"] as? Int } == Array(0..<100))
    }

    @Test func flippedBitInTheLastBatchOfACleanlyClosedLogIsCorruption() throws {
        let temp = TemporaryDirectory()
        let (log, segment, _) = try cleanlyClosedLog(temp)
        var bytes = fileBytes(segment)
        bytes[bytes.count - 3] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1, "\(verify)")
        let found = try problems(verify)
        #expect(found.contains { $0["code"] as? String == "durable-damage" }, "\(found)")
        #expect(!found.contains { $0["code"] as? String == "torn-tail" }, "\(found)")
    }

    /// Rewrites the index's segment-length field (offset 24) and its checksum.
    private func forgeSegmentLength(_ index: String, _ value: Int64) throws {
        var bytes = fileBytes(index)
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<8 { bytes[24 + i] = $0[i] } }
        let crc = CRC32C.checksum(Array(bytes[0..<bytes.count - 4]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[bytes.count - 4 + i] = $0[i] } }
        try Data(bytes).write(to: URL(fileURLWithPath: index))
    }

    @Test(arguments: [Int64(-1), Int64(1) << 62, Int64(7)])
    func impossibleSegmentLengthInTheActiveIndexIsAnError(length: Int64) throws {
        let temp = TemporaryDirectory()
        let (log, _, index) = try cleanlyClosedLog(temp)
        try forgeSegmentLength(index, length)
        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1, "\(verify)")
        let errors = try problems(verify).filter { $0["severity"] as? String == "error" }
        #expect(!errors.isEmpty, "\(verify)")
    }

    @Test(arguments: [Int64(-1), Int64(1) << 62])
    func impossibleSegmentLengthInASealedIndexIsAnError(length: Int64) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        try forgeSegmentLength(log + "/00000000000000000028.idx", length)
        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1, "\(verify)")
        #expect(try problems(verify).contains { $0["severity"] as? String == "error" && $0["file"] as? String == "00000000000000000028.idx" })
    }
}

private func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? -1
}
