import TestSupport
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #3 (and #6 under power loss): a log runs on the fault
/// layer's model page cache — appends, syncs, rotations, clean reopens —
/// then the power is cut: an arbitrary subset of the unsynced writes reaches
/// the disk (any dirty 512-byte sectors, in any order, so batches tear at
/// sector boundaries) and unsynced directory changes are
/// partly undone. Everything the log had reported durable must be intact;
/// anything more must be a contiguous run of appended records.
@Suite("Lost and reordered unsynced writes (reliability scenario #3)")
struct LostWriteTests {
    @Test func powerCutKeepsTheSyncedPrefix() throws {
        let seed = FaultScale.seed(for: "power-cut")
        var random = SeededGenerator(seed: seed)
        let rounds = FaultScale.powerCuts
        for round in 0..<rounds {
            let roundSeed = random.split()
            let failed = try runRound(seed: roundSeed, context: "power cut round \(round) (FAULT_SEED=\(seed), round seed \(roundSeed))")
            if failed { break }
        }
        print("[power-cut] FAULT_SEED=\(seed): \(rounds) power cuts")
    }

    /// One log, one power cut. Returns true if a check failed (to stop early).
    private func runRound(seed: UInt64, context: String) throws -> Bool {
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("powercut")
        let path = directory.child()
        let fileSystem = FaultFileSystem(seed: random.split())
        var options = LogOptions()
        options.fileSystem = fileSystem
        options.clock = ManualClock()
        options.segmentMaxBytes = Int64(random.int(1024...8192))
        options.indexIntervalBytes = random.int(256...2048)
        options.durability = random.chance(1, in: 2) ? .always : .os
        var log = try SpawnGate.open(path, options: options)
        var attempted: UInt64? = nil
        var synced: UInt64? = nil
        for _ in 0..<random.int(1...60) {
            switch random.int(0...11) {
            case 0...7:
                let first = log.nextSequence
                let records = (first..<first + UInt64(random.int(1...8))).map(DerivedRecord.append)
                attempted = first + UInt64(records.count) - 1
                try log.append(records)
                if options.durability == .always { synced = attempted }
            case 8:
                try log.sync()
                synced = attempted
            case 9:
                try log.rotate()
            default:
                try log.close()
                synced = attempted
                log = try SpawnGate.open(path, options: options)
            }
        }
        // The engine's own claim counts too: whatever it calls durable must be.
        let claimed = log.durableSequenceBound
        let acknowledged = max(synced ?? 0, claimed > 0 ? claimed - 1 : 0)
        let unsynced = fileSystem.hasUnsyncedData
        fileSystem.crash(using: &random)
        withExtendedLifetime(log) {}
        var check = CrashCheck(context: "\(context) [durability \(options.durability), segment \(options.segmentMaxBytes) B, unsynced data at the cut: \(unsynced)]")
        check.options.segmentMaxBytes = options.segmentMaxBytes
        let outcome = check.verify(path, acknowledged: synced == nil && claimed == 0 ? nil : acknowledged, attempted: attempted)
        return !outcome.problems.isEmpty
    }
}
