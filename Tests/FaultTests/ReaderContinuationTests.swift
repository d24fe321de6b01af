import TestSupport
import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #7, "records after the damage are not silently dropped",
/// for a caller that keeps calling `next()` on a reader after it has thrown
/// a corruption error: every record it then returns must be correct, and no
/// record of an undamaged batch may be skipped without another error being
/// thrown for it.
@Suite("Reading on past a corruption error (reliability scenario #7)")
struct ReaderContinuationTests {
    @Test func continuingAfterAnErrorSkipsNothingSilently() throws {
        let seed = FaultScale.seed(for: "reader-continuation")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("continue")
        let generated = try GeneratedLog(directory: directory.child(), seed: random.split(), batchCount: 120, segmentMaxBytes: 8192)
        let sealed = Array(generated.segmentPaths.dropLast())
        let inSealed = generated.batches.filter { sealed.contains($0.path) }
        for round in 0..<100 {
            let damaged = inSealed[random.int(0...(inSealed.count - 1))]
            let original = FileBytes.read(damaged.path)
            // A flip in the body: covered by the checksum only.
            let byte = random.int(Int(damaged.offset) + SegmentFormat.batchHeaderSize...Int(damaged.end) - 1)
            FileBytes.flipBit(damaged.path, bit: byte * 8 + random.int(0...7))
            defer { FileBytes.write(damaged.path, original) }
            let context = "round \(round): byte \(byte) of \(damaged.path), batch \(damaged.sequences) (FAULT_SEED=\(seed))"
            let log = try SegmentLog.openReadOnly(directory: generated.directory, options: generated.options(segmentMaxBytes: 8192))
            let reader = log.read()
            var returned: [UInt64] = []
            var errors = 0
            while errors < 10 {
                do {
                    guard let record = try reader.next() else { break }
                    if let mismatch = DerivedRecord.mismatch(record) { Issue.record("\(context): corrupt record \(mismatch)") }
                    returned.append(record.sequence)
                } catch {
                    errors += 1
                }
            }
            let wanted = (0..<generated.next).filter { !damaged.sequences.contains($0) }
            let missing = Set(wanted).subtracting(returned)
            #expect(errors == 1 && missing.isEmpty, "\(context): continuing after \(errors) error(s) the reader skipped \(missing.count) undamaged records, first \(missing.min().map(String.init) ?? "-")")
            try log.close()
            if !missing.isEmpty { break }
        }
    }
}
