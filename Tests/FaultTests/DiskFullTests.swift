import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// docs/reliability-tests.md #12, on the fault layer: the "disk" fills up part-way
/// through a write. The append fails with a clear ENOSPC error, no partial
/// record is ever visible, the log keeps its state, and once space is freed
/// the next append succeeds at the very next sequence number. Each round
/// puts the limit at a random byte, so it lands in batches, segment headers
/// and index files alike.
@Suite("Disk full (reliability scenario #12)")
struct DiskFullTests {
    @Test(arguments: 0..<40)
    func writesResumeWhenSpaceIsFreed(_ round: Int) throws {
        let seed = FaultScale.seed(for: "enospc round \(round)")
        var random = SeededGenerator(seed: seed)
        let context = "ENOSPC round \(round) (FAULT_SEED=\(seed))"
        let directory = TemporaryDirectory("enospc")
        let path = directory.child()
        let fileSystem = FaultFileSystem(seed: random.split())
        var options = LogOptions()
        options.fileSystem = fileSystem
        options.clock = ManualClock()
        options.durability = random.chance(1, in: 2) ? .always : .os
        options.segmentMaxBytes = 4096
        let log = try SpawnGate.open(path, options: options)
        for _ in 0..<random.int(0...30) {
            let first = log.nextSequence
            try log.append((first..<first + UInt64(random.int(1...6))).map(DerivedRecord.append))
        }
        let used = fileSystem.usedBytes
        fileSystem.updatePlan { $0.capacityBytes = used + random.int(0...6000) }
        var failures = 0
        while failures == 0 {
            let first = log.nextSequence
            let records = (first..<first + UInt64(random.int(1...6))).map(DerivedRecord.append)
            do {
                try log.append(records)
            } catch {
                failures += 1
                #expect(Self.isDiskFull(error), "\(context): the append failed with \(error), not a clear ENOSPC")
                #expect(log.nextSequence == first, "\(context): the failed append moved the next sequence to \(log.nextSequence)")
                if let problem = CrashCheck.recordProblem(log, from: 0, through: first) {
                    Issue.record("\(context): after ENOSPC: \(problem) (\(fileSystem.injected))")
                }
                // Still full: it fails again, the same way.
                #expect(throws: SegmentLogError.self, "\(context): an append succeeded on a full disk") {
                    try log.append(records)
                }
            }
            if log.nextSequence > 100_000 { break }
        }
        fileSystem.updatePlan { $0.capacityBytes = nil }
        let first = log.nextSequence
        var last = first
        do {
            let result = try log.append((first..<first + 3).map(DerivedRecord.append))
            last = result.lastSequence + 1
            #expect(result.firstSequence == first, "\(context): after freeing space the append landed at \(result.firstSequence), expected \(first)")
            try log.close()
        } catch {
            Issue.record("\(context): after freeing space the log still fails: \(error) (\(fileSystem.injected))")
            try? log.close()
        }
        var check = CrashCheck(context: "\(context): \(fileSystem.injected)")
        check.options.segmentMaxBytes = options.segmentMaxBytes
        check.verify(path, acknowledged: last > 0 ? last - 1 : nil, attempted: last > 0 ? last - 1 : nil)
    }

    static func isDiskFull(_ error: SegmentLogError) -> Bool {
        if case .io(_, _, let code) = error { return code == ENOSPC }
        return false
    }
}
