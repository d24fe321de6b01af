import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #5: the active segment extended with zeros, random bytes,
/// a forged batch header, a stale copy of an earlier batch or a batch whose
/// checksum does not match. Each is a torn tail: open succeeds, nothing of
/// it is returned, it is cut off, the next append works and a second reopen
/// changes nothing.
@Suite("Garbage tails (reliability scenario #5)")
struct GarbageTailTests {
    @Test func garbageAfterTheLastBatchIsATornTail() throws {
        let seed = FaultScale.seed(for: "garbage-tail")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("garbage")
        let generated = try GeneratedLog(directory: directory.child(), seed: random.split(), batchCount: 30, segmentMaxBytes: 8192)
        let active = generated.segmentPaths.last!
        let original = FileBytes.read(active)
        let inActive = generated.batches.filter { $0.path == active }
        let earlier = inActive.first!
        let earlierBytes = Array(original[Int(earlier.offset)..<Int(earlier.end)])

        var tails: [(String, [UInt8])] = []
        for count in [1, 4, 47, 48, 49, 512, 4096, 65_536] { tails.append(("\(count) zeros", [UInt8](repeating: 0, count: count))) }
        for _ in 0..<40 {
            let count = random.int(1...8192)
            tails.append(("\(count) random bytes", (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }))
        }
        tails.append(("a stale copy of the segment's first batch", earlierBytes))
        var forged = earlierBytes
        forged.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(generated.next).littleEndian, toByteOffset: 16, as: UInt64.self) }
        tails.append(("a batch with the next sequence but a stale checksum", forged))
        var magicOnly = [UInt8](repeating: 0xAB, count: 200)
        magicOnly.withUnsafeMutableBytes { $0.storeBytes(of: SegmentFormat.batchMagic.littleEndian, toByteOffset: 0, as: UInt32.self) }
        tails.append(("a batch magic followed by junk", magicOnly))
        tails.append(("the first half of a valid-looking batch", Array(forged.prefix(forged.count / 2))))
        tails.append(("zeros then a stale batch", [UInt8](repeating: 0, count: 100) + earlierBytes))

        let torn = TornTailTests()
        let names = FileBytes.names(in: generated.directory)
        for (name, tail) in tails {
            TornTailTests.removeFiles(in: generated.directory, notIn: names)
            FileBytes.write(active, original + tail)
            if !torn.check(generated.directory, options: generated.options(segmentMaxBytes: 8192), expectedNext: generated.next, tornAt: Int64(original.count),
                           context: "tail of \(name) (FAULT_SEED=\(seed))") { break }
        }
    }
}
