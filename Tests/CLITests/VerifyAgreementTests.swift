import Foundation
import SegmentLog
import Testing

/// `verify` judges a log exactly as the engine and its readers do.
@Suite("verify agrees with the engine")
struct VerifyAgreementTests {
    private func problems(_ result: RunResult) throws -> [[String: Any]] {
        try #require((try result.json() as? [String: Any])?["problems"] as? [[String: Any]])
    }

    /// Rewrites a little-endian UInt64 field of an index file and its checksum.
    private func forge(_ index: String, offset: Int, _ change: (UInt64) -> UInt64) throws {
        var bytes = fileBytes(index)
        let value = change(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) })
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<8 { bytes[offset + i] = $0[i] } }
        let crc = CRC32C.checksum(Array(bytes[0..<bytes.count - 4]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[bytes.count - 4 + i] = $0[i] } }
        try Data(bytes).write(to: URL(fileURLWithPath: index))
    }

    @Test func forgedPrefixIndexOfAGrownActiveSegmentIsAMismatch() throws {
        let temp = TemporaryDirectory()
        let log = temp.child()
        try makeStorageLog(log, count: 50, batch: 10).close()
        let index = log + "/00000000000000000000.idx"
        let prefix = fileBytes(index)
        // The log grows past its clean-close index; the older index is put back,
        // as a durable point that covers only the first 50 records.
        var options = LogOptions()
        options.clock = ManualClock(microseconds: 1_700_000_100_000_000)
        let writer = try SegmentLog.open(directory: log, options: options)
        for i in 0..<20 { _ = try writer.append(kind: 1, partition: "later", payload: Array("later \(i)".utf8)) }
        try writer.close()
        try Data(prefix).write(to: URL(fileURLWithPath: index))
        let honest = try signallog(["verify", log, "--json"])
        #expect(honest.status == 0, "\(honest)")
        #expect(try problems(honest).map { $0["code"] as? String } == ["index-prefix"], "\(honest)")

        // Valid checksum, wrong byte counts: the prefix it covers says otherwise.
        try forge(index, offset: 64) { $0 + 12 }
        let forged = try signallog(["verify", log, "--json"])
        #expect(forged.status == 1, "\(forged)")
        let found = try problems(forged)
        #expect(found.contains { $0["code"] as? String == "index-mismatch" && $0["file"] as? String == "00000000000000000000.idx"
            && ($0["message"] as? String)?.contains("raw bytes") == true }, "\(found)")
        // And repair sets it aside; the log verifies clean afterwards.
        let repair = try signallog(["repair", log, "--yes"])
        #expect(repair.status == 0, "\(repair)")
        #expect(fileNames(log).contains("00000000000000000000.idx.corrupt"))
        #expect(try signallog(["cat", log]).lines.count == 70)
    }

    @Test(arguments: ["00000000000000000028.seg", "00000000000000000156.seg"])
    func zeroedSegmentHeaderIsCountedAsReadersReadIt(segment: String) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture("basic", into: temp)
        var bytes = fileBytes(log + "/" + segment)
        for i in 0..<40 { bytes[i] = 0 }
        try Data(bytes).write(to: URL(fileURLWithPath: log + "/" + segment))
        let verify = try signallog(["verify", log, "--json"])
        #expect(verify.status == 1, "\(verify)")
        let json = try #require(try verify.json() as? [String: Any])
        #expect(try problems(verify).contains { $0["code"] as? String == "segment-header" && $0["file"] as? String == segment })
        let cat = try signallog(["cat", log, "-o", "ndjson"])
        let printed = try cat.ndjson().count
        #expect(json["records"] as? Int == printed, "verify counts \(json["records"] ?? "nil") records, cat prints \(printed)")
        #expect(printed == 190)
    }
}
