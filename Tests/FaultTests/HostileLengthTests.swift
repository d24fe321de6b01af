import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #9: length, count and decompressed-size fields set to
/// 2^32−1 or past the end of the file, with checksums recomputed so only the
/// bounds checks stand in the way. Each crafted log is opened and read in a
/// fresh child process (after a healthy log of the same shape, so buffers the
/// engine keeps anyway are already there), which reports how much its peak
/// virtual size (every allocation, touched or not) and peak resident size
/// grew: both must stay under 1 MiB, and the damage must be a clean error or
/// a torn tail, never a crash.
@Suite("Hostile lengths (reliability scenario #9)")
struct HostileLengthTests {
    /// A change to a copy of the log: which file, and what to do to its bytes.
    struct Craft: Sendable, CustomStringConvertible {
        var description: String
        var sealed: Bool
        var apply: @Sendable (inout [UInt8], GeneratedLog.Batch) -> Void
    }

    static let crafts: [Craft] = {
        var crafts: [Craft] = []
        for sealed in [false, true] {
            let place = sealed ? "a sealed segment" : "the active segment's last batch"
            for (field, offset) in [("stored length", 8), ("raw length", 12), ("record count", 24)] {
                crafts.append(Craft(description: "\(field) 2^32-1 in \(place)", sealed: sealed) { bytes, batch in
                    Self.setBatchField(&bytes, batch, offset: offset, UInt32.max)
                })
            }
            crafts.append(Craft(description: "stored length past the end of the file in \(place)", sealed: sealed) { bytes, batch in
                Self.setBatchField(&bytes, batch, offset: 8, UInt32(bytes.count))
            })
            crafts.append(Craft(description: "raw length 60 MiB for a small LZ4 body in \(place)", sealed: sealed) { bytes, batch in
                Self.setBatchField(&bytes, batch, offset: 12, UInt32(60 << 20))
            })
        }
        crafts.append(Craft(description: "a raw batch whose record claims a 2^32-1 byte payload", sealed: false) { bytes, batch in
            bytes += Self.rawBatch(first: batch.sequences.upperBound + 1, payloadLength: UInt32.max)
        })
        crafts.append(Craft(description: "a raw batch whose record claims a 65535-byte key", sealed: false) { bytes, batch in
            bytes += Self.rawBatch(first: batch.sequences.upperBound + 1, keyLength: UInt16.max)
        })
        return crafts
    }()

    @Test(arguments: crafts)
    func hostileBatchFieldIsRejectedBeforeAllocating(_ craft: Craft) throws {
        let seed = FaultScale.seed(for: "hostile \(craft)")
        let directory = TemporaryDirectory("hostile")
        let generated = try GeneratedLog(directory: directory.child("healthy"), seed: seed, batchCount: 40, segmentMaxBytes: 8192)
        let hostile = directory.child("hostile")
        FileBytes.copyDirectory(generated.directory, to: hostile)
        let active = generated.segmentPaths.last!
        let target = craft.sealed ? generated.batches.first! : generated.batches.last { $0.path == active }!
        let file = hostile + "/" + URL(fileURLWithPath: target.path).lastPathComponent
        var bytes = FileBytes.read(file)
        craft.apply(&bytes, target)
        FileBytes.write(file, bytes)
        try probe(healthy: generated.directory, hostile: hostile, context: "\(craft) (FAULT_SEED=\(seed))")
    }

    @Test(arguments: [("kind count", 88), ("time entry count", 92), ("partition count", 96)])
    func hostileIndexCountIsRejectedBeforeAllocating(_ field: String, _ offset: Int) throws {
        let seed = FaultScale.seed(for: "hostile index \(field)")
        let directory = TemporaryDirectory("hostile-index")
        let generated = try GeneratedLog(directory: directory.child("healthy"), seed: seed, batchCount: 40, segmentMaxBytes: 8192)
        let hostile = directory.child("hostile")
        FileBytes.copyDirectory(generated.directory, to: hostile)
        let index = hostile + "/" + FileBytes.names(in: hostile).first { $0.hasSuffix(".idx") }!
        var bytes = FileBytes.read(index)
        Self.store(&bytes, UInt32.max, at: offset)
        Self.store(&bytes, CRC32C.checksum(Array(bytes[0..<bytes.count - 4])), at: bytes.count - 4)
        let decoded = bytes.withUnsafeBytes { buffer in
            Result { () throws(SegmentLogError) in try IndexFile.decode(buffer, path: index) }
        }
        if case .success = decoded { Issue.record("the index decoder accepted a \(field) of 2^32-1") }
        FileBytes.write(index, bytes)
        try probe(healthy: generated.directory, hostile: hostile, context: "index \(field) 2^32-1 (FAULT_SEED=\(seed))")
    }

    @Test func hostileHeadersAreImplausible() {
        var limits = LogLimits()
        limits.maxBatchBytes = 1 << 20
        let header = BatchHeader(checksum: 0, storedLength: 100, rawLength: 400, firstSequence: 0, recordCount: 3, codec: SegmentFormat.codecLZ4, minTimestamp: 1, maxTimestamp: 1)
        #expect(header.implausibility(available: 148, limits: limits) == nil)
        var variants: [(String, BatchHeader)] = []
        var h = header; h.storedLength = .max; variants.append(("stored length", h))
        h = header; h.rawLength = .max; variants.append(("raw length", h))
        h = header; h.recordCount = .max; variants.append(("record count", h))
        h = header; h.storedLength = 101; variants.append(("stored length past the end", h))
        h = header; h.firstSequence = .max - 1; variants.append(("first sequence overflowing", h))
        for (what, variant) in variants {
            #expect(variant.implausibility(available: 148, limits: limits) != nil, "a batch header with a hostile \(what) passed")
        }
    }

    /// Runs the child's memory probe over the healthy and the crafted log.
    private func probe(healthy: String, hostile: String, context: String) throws {
        let child = try ChildProcess(["probe-read", "--baseline", healthy, "--dir", hostile])
        let lines = child.drain()
        #expect(child.exitCode == 0, "\(context): the reader process died: \(lines)")
        let result = lines.first { $0.hasPrefix("R ") } ?? "none"
        let numbers = lines.first { $0.hasPrefix("M ") }?.split(separator: " ").dropFirst().compactMap { Int($0) } ?? []
        try #require(numbers.count == 2, "\(context): no memory report from the child: \(lines)")
        print("[hostile] \(context): \(result.prefix(160)) — peak virtual +\(numbers[0]) B, peak resident +\(numbers[1]) B")
        #expect(numbers[1] < 1 << 20, "\(context): peak resident memory grew by \(numbers[1]) bytes (\(result))")
        #expect(numbers[0] < 1 << 20, "\(context): peak virtual memory grew by \(numbers[0]) bytes: a hostile length was allocated (\(result))")
    }

    static func store<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0) }
    }

    /// Sets a header field of `batch` and recomputes its checksum.
    static func setBatchField(_ bytes: inout [UInt8], _ batch: GeneratedLog.Batch, offset: Int, _ value: UInt32) {
        let start = Int(batch.offset)
        store(&bytes, value, at: start + offset)
        let crc = CRC32C.checksum(Array(bytes[start + 8..<Int(batch.end)]))
        store(&bytes, crc, at: start + 4)
    }

    /// An uncompressed one-record batch with a valid checksum whose record
    /// header claims lengths its body does not have.
    static func rawBatch(first: UInt64, payloadLength: UInt32 = 4, keyLength: UInt16 = 1) -> [UInt8] {
        var body: [UInt8] = [1, 0]
        withUnsafeBytes(of: keyLength.littleEndian) { body += $0 }
        withUnsafeBytes(of: payloadLength.littleEndian) { body += $0 }
        body += [0, 0, 0, 0, 0x70, 1, 2, 3, 4]
        var header = BatchHeader(checksum: 0, storedLength: UInt32(body.count), rawLength: UInt32(body.count), firstSequence: first, recordCount: 1,
                                 codec: SegmentFormat.codecNone, minTimestamp: 1_764_100_000_000_000, maxTimestamp: 1_764_100_000_000_000)
        var batch = [UInt8](repeating: 0, count: SegmentFormat.batchHeaderSize)
        batch.withUnsafeMutableBytes { header.encode(into: $0.baseAddress!) }
        batch += body
        header.checksum = CRC32C.checksum(Array(batch[8...]))
        store(&batch, header.checksum, at: 4)
        return batch
    }
}
