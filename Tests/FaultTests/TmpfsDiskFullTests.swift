import TestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// docs/reliability-tests.md #12 on a real file system: a 1 MiB tmpfs fills up under the
/// log. The append that does not fit fails with ENOSPC, no partial record is
/// visible (now or after a reopen), and once a ballast file is deleted the
/// log writes again at the next sequence. Skipped where tmpfs cannot be
/// mounted (it needs root).
@Suite("Disk full on a real tmpfs (reliability scenario #12)")
struct TmpfsDiskFullTests {
    @Test(.enabled(if: TmpfsMount.isAvailable, "mounting a tmpfs needs root or CAP_SYS_ADMIN; skipped here"))
    func realDiskFullThenFreed() throws {
        let seed = FaultScale.seed(for: "tmpfs-enospc")
        var random = SeededGenerator(seed: seed)
        let context = "tmpfs ENOSPC (FAULT_SEED=\(seed))"
        let mount = try #require(TmpfsMount(sizeBytes: 1 << 20))
        let ballast = mount.path + "/ballast"
        #expect(FileManager.default.createFile(atPath: ballast, contents: Data(repeating: 7, count: 192 * 1024)))
        let path = mount.path + "/log"
        var options = LogOptions()
        options.durability = .always
        options.segmentMaxBytes = 256 * 1024
        var log = try SpawnGate.open(path, options: options)
        var failure: SegmentLogError? = nil
        while failure == nil, log.nextSequence < 1_000_000 {
            let first = log.nextSequence
            // Incompressible payloads, so the tmpfs fills at a known pace.
            let records = (first..<first + UInt64(random.int(1...8))).map { sequence in
                AppendRecord(kind: DerivedRecord.kind(sequence), partition: DerivedRecord.partition(sequence), payload: Self.noise(sequence, count: 900))
            }
            do {
                try log.append(records)
            } catch {
                failure = error
                #expect(DiskFullTests.isDiskFull(error), "\(context): the append failed with \(error), not ENOSPC")
                #expect(log.nextSequence == first, "\(context): the failed append moved the next sequence")
            }
        }
        let full = log.nextSequence
        #expect(failure != nil, "\(context): a 1 MiB tmpfs never filled")
        #expect(Self.checkNoise(log, through: full) == nil, "\(context): \(Self.checkNoise(log, through: full) ?? "")")
        try FileManager.default.removeItem(atPath: ballast)
        let resumed = try log.append(kind: 1, partition: "after", payload: Self.noise(full, count: 900))
        #expect(resumed.firstSequence == full, "\(context): after freeing space the append landed at \(resumed.firstSequence), expected \(full)")
        try log.close()
        log = try SpawnGate.open(path, options: options)
        #expect(log.nextSequence == full + 1, "\(context): after reopen the log ends at \(log.nextSequence), expected \(full + 1)")
        #expect(log.recoveryReport.truncatedTail == nil, "\(context): reopen found a torn tail: \(String(describing: log.recoveryReport.truncatedTail))")
        #expect(Self.checkNoise(log, through: full) == nil, "\(context): after reopen: \(Self.checkNoise(log, through: full) ?? "")")
        try log.close()
    }

    static func noise(_ sequence: UInt64, count: Int) -> [UInt8] {
        var random = SeededGenerator(seed: sequence)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// Why records 0..<end are not the noise written, or nil.
    static func checkNoise(_ log: SegmentLog, through end: UInt64) -> String? {
        let reader = log.read(LogQuery(throughSequence: end > 0 ? end - 1 : 0))
        var expected: UInt64 = 0
        do {
            while let record = try reader.next(), record.sequence < end {
                if record.sequence != expected { return "sequence \(record.sequence) where \(expected) belongs" }
                if record.payload != noise(record.sequence, count: 900) { return "payload of \(record.sequence) differs" }
                expected += 1
            }
        } catch {
            return "reading failed at \(expected): \(error)"
        }
        return expected == end ? nil : "only \(expected) of \(end) records read"
    }
}
