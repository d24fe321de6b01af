import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// docs/reliability-tests.md #13: short writes and EINTR.
///
/// At the system-call level, `slog-crash-child --short-io SEED` replaces
/// `pwrite` and `pread` in its own process with versions that return EINTR
/// or move only part of the bytes (1 call in 8 and 2 in 8); the engine must
/// retry until done, and the log it writes (and recovers, reading with the
/// same faults) must hold every record byte for byte.
///
/// At the file-layer level, a write that moves part of its bytes and then
/// fails for good (EIO, or EINTR the layer gave up on) must leave no partial
/// batch visible: the append fails, readers see only whole batches, the next
/// append lands at the same sequence, and a reopen agrees.
@Suite("Short writes and EINTR (reliability scenario #13)")
struct ShortWriteTests {
    @Test func systemCallLevelShortTransfersAndEINTR() throws {
        let seed = FaultScale.seed(for: "short-io")
        let directory = TemporaryDirectory("shortio")
        let log = directory.child()
        var interrupted = 0
        var shortened = 0
        for (step, count) in [3_000, 6_000].enumerated() {
            let run = try IngestRun.run(["--dir", log, "--count", "\(count)", "--batch-max", "16", "--segment-bytes", "16384", "--seed", "\(seed)", "--short-io", "\(seed &+ UInt64(step))"])
            #expect(run.finished && run.exitCode == 0, "FAULT_SEED=\(seed) step \(step): the child failed under short I/O: \(run.lines)")
            let report = run.lines.last { $0.hasPrefix("I ") }?.split(separator: " ").compactMap { Int($0) } ?? []
            if report.count == 2 {
                interrupted += report[0]
                shortened += report[1]
            }
        }
        #expect(interrupted > 0 && shortened > 0, "FAULT_SEED=\(seed): the interposer injected \(interrupted) EINTR and \(shortened) short transfers")
        CrashCheck(context: "short I/O (FAULT_SEED=\(seed))").verify(log, acknowledged: 5_999, attempted: 5_999)
        print("[short-io] FAULT_SEED=\(seed): \(interrupted) EINTR and \(shortened) short transfers injected, 6000 records intact")
    }

    @Test(arguments: [EIO, EINTR], 1...16)
    func failedPartialWriteLeavesNoPartialRecord(_ code: Int32, _ failing: Int) throws {
        let seed = FaultScale.seed(for: "partial write #\(failing) errno \(code)")
        var random = SeededGenerator(seed: seed)
        let context = "write #\(failing) fails with errno \(code) (FAULT_SEED=\(seed))"
        let directory = TemporaryDirectory("partial")
        let path = directory.child()
        var plan = FaultPlan()
        plan.failingWrite = failing
        plan.writeErrno = code
        let fileSystem = FaultFileSystem(seed: random.split(), plan: plan)
        var options = LogOptions()
        options.fileSystem = fileSystem
        options.clock = ManualClock()
        options.segmentMaxBytes = 2048
        let log: SegmentLog
        do {
            log = try SpawnGate.open(path, options: options)
        } catch {
            #expect(!fileSystem.injected.isEmpty, "\(context): open failed without an injected fault: \(error)")
            return
        }
        var failures = 0
        for _ in 0..<30 {
            let first = log.nextSequence
            let records = (first..<first + UInt64(random.int(1...6))).map(DerivedRecord.append)
            do {
                let result = try log.append(records)
                #expect(result.firstSequence == first, "\(context): append landed at \(result.firstSequence), expected \(first)")
            } catch {
                failures += 1
                #expect(log.nextSequence == first, "\(context): the failed append moved the next sequence to \(log.nextSequence)")
                if let problem = CrashCheck.recordProblem(log, from: 0, through: first) {
                    Issue.record("\(context): after the failed write: \(problem)")
                }
            }
        }
        #expect(failures == 1, "\(context): \(failures) appends failed for one injected fault (\(fileSystem.injected))")
        let last = log.nextSequence - 1
        try log.close()
        var check = CrashCheck(context: "\(context): \(fileSystem.injected)")
        check.options.segmentMaxBytes = options.segmentMaxBytes
        check.verify(path, acknowledged: last, attempted: last)
    }
}
