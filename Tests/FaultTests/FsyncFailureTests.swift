import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SegmentLog

/// docs/reliability-tests.md #11: an fsync fails with EIO. The model kernel has then
/// written back only part of the dirty data and marked it all clean, so a
/// later fsync would "succeed" without it. The append must fail, nothing
/// after it may be acknowledged, the log must refuse writes; after a restart
/// (here a power cut, the harsher case) every earlier acknowledged record is
/// intact and the failed one is intact or absent.
///
/// The sweep fails each of the first syncs in turn, so the failure lands on
/// appends, on sealing a segment, on index files and on new segment headers.
@Suite("fsync fails with EIO (reliability scenario #11)")
struct FsyncFailureTests {
    @Test(arguments: 1...24)
    func failedSyncIsNeverTrusted(_ failing: Int) throws {
        let seed = FaultScale.seed(for: "fsync-eio #\(failing)")
        var random = SeededGenerator(seed: seed)
        let context = "sync #\(failing) fails (FAULT_SEED=\(seed))"
        let directory = TemporaryDirectory("eio")
        let path = directory.child()
        var plan = FaultPlan()
        plan.failingSync = failing
        let fileSystem = FaultFileSystem(seed: random.split(), plan: plan)
        var options = LogOptions()
        options.fileSystem = fileSystem
        options.clock = ManualClock()
        options.durability = .always
        options.segmentMaxBytes = 2048

        let log: SegmentLog
        do {
            log = try SpawnGate.open(path, options: options)
        } catch {
            // The failing sync was the first segment's header: nothing was acknowledged.
            #expect(fileSystem.injected.count == 1, "\(context): open failed without an injected fault: \(error)")
            fileSystem.crash(using: &random)
            CrashCheck(context: context).verify(path, acknowledged: nil, attempted: nil)
            return
        }
        var acknowledged: UInt64? = nil
        var attempted: UInt64? = nil
        var failure: SegmentLogError? = nil
        for _ in 0..<40 {
            let first = log.nextSequence
            let records = (first..<first + UInt64(random.int(1...6))).map(DerivedRecord.append)
            do {
                attempted = first + UInt64(records.count) - 1
                let result = try log.append(records)
                if let failure {
                    Issue.record("\(context): append of \(result.firstSequence)...\(result.lastSequence) was acknowledged after the failure \(failure)")
                }
                acknowledged = result.lastSequence
            } catch {
                if failure == nil { failure = error }
            }
            if failure != nil { break }
        }
        let injected = fileSystem.injected
        #expect(!injected.isEmpty, "\(context): the sync was never reached")
        if let failure {
            // Whatever the sync belonged to, the log must now refuse to write.
            for _ in 0..<3 {
                let first = log.nextSequence
                do {
                    let result = try log.append([DerivedRecord.append(first)])
                    Issue.record("\(context): append \(result.firstSequence) acknowledged after \(failure) (\(injected))")
                    acknowledged = result.lastSequence
                    attempted = result.lastSequence
                } catch {
                    #expect(Self.isDurabilityError(error), "\(context): a later append failed with \(error), which does not say durability was lost")
                }
            }
            #expect(throws: SegmentLogError.self, "\(context): sync() succeeded after \(failure)") { try log.sync() }
        }
        fileSystem.crash(using: &random)
        withExtendedLifetime(log) {}
        var check = CrashCheck(context: "\(context): \(injected)")
        check.options.segmentMaxBytes = options.segmentMaxBytes
        check.verify(path, acknowledged: acknowledged, attempted: attempted)
    }

    /// The error a log that has lost durability gives for later writes.
    static func isDurabilityError(_ error: SegmentLogError) -> Bool {
        switch error {
        case .durabilityLost: return true
        case .io(_, _, let code): return code == EIO
        default: return false
        }
    }
}
