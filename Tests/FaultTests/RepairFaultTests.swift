import Foundation
import Testing
@testable import SegmentLog

/// A repair interrupted at any point — a power cut after any write, sync or
/// directory sync, an fsync that fails with EIO, a disk that fills up —
/// never leaves the log worse than it found it: every record readable
/// before is still readable and byte-identical, placeholders stand only
/// where records were lost, and a second repair completes the job.
@Suite("repair under faults and power cuts")
struct RepairFaultTests {
    /// Damaged logs a repair has to rewrite, cut or fill.
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        /// A flipped bit in a sealed segment, a missing middle segment and a garbage tail.
        case mixed
        /// A cleanly closed active segment cut in half (records lost before the durable point).
        case durable
        var testDescription: String { rawValue }
    }

    static let records = 120

    /// Writes a log of `records` records (in small segments for `.mixed`) and damages it.
    static func makeDamagedLog(_ path: String, damage: Damage) throws {
        var options = LogOptions()
        options.segmentMaxBytes = damage == .durable ? 1 << 20 : 700
        options.clock = ManualClock(microseconds: 1_700_000_000_000_000)
        let log = try SegmentLog.open(directory: path, options: options)
        for first in stride(from: 0, to: records, by: 6) {
            let batch = (first..<min(records, first + 6)).map { i in
                (kind: UInt8(1 + i % 3), partition: "p\(i % 4)", payload: Array("record \(i) ".utf8) + [UInt8](repeating: UInt8(i % 251), count: 40 + i % 17))
            }
            _ = try log.append(batch.map { AppendRecord(kind: $0.kind, partition: $0.partition, payload: $0.payload) })
        }
        try log.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".seg") }.sorted()
        switch damage {
        case .mixed:
            #expect(segments.count >= 5, "\(segments)")
            // A bit in the middle of the second segment's body.
            var bytes = FileBytes.read(path + "/" + segments[1])
            bytes[bytes.count / 2] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + segments[1]))
            // The third segment and its index are gone.
            try FileManager.default.removeItem(atPath: path + "/" + segments[2])
            try FileManager.default.removeItem(atPath: path + "/" + segments[2].replacingOccurrences(of: ".seg", with: ".idx"))
            // The active segment ends in garbage after its clean-close index's length.
            let active = path + "/" + segments.last!
            let handle = try #require(FileHandle(forWritingAtPath: active))
            handle.seekToEndOfFile()
            handle.write(Data((0..<300).map { UInt8(($0 * 37 + 11) % 256) }))
            try handle.close()
        case .durable:
            let active = path + "/" + segments.last!
            let bytes = FileBytes.read(active)
            try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: active))
        }
    }

    /// Every record a read-only open can read, by sequence, reading on past damage.
    static func readable(_ path: String) throws -> [UInt64: LogRecord] {
        let log = try SegmentLog.openReadOnly(directory: path)
        defer { try? log.close() }
        let reader = log.read()
        var out: [UInt64: LogRecord] = [:]
        var errors = 0
        while errors < 1000 {
            do {
                guard let record = try reader.next() else { break }
                out[record.sequence] = record
            } catch {
                errors += 1
            }
        }
        return out
    }

    /// Fails unless every record of `before` is still there byte for byte and
    /// every other record is a placeholder for a sequence that was lost.
    static func expectNotWorse(_ path: String, before: [UInt64: LogRecord], context: String, complete: Bool) throws {
        let after = try readable(path)
        for (sequence, record) in before where after[sequence] != record {
            Issue.record("\(context): record \(sequence) was readable before the repair and is \(after[sequence].map { "now \($0)" } ?? "gone")")
            return
        }
        for (sequence, record) in after where before[sequence] == nil {
            #expect(record.kind == LostRecord.kind && sequence < UInt64(records), "\(context): record \(sequence) appeared and is not a placeholder: \(record)")
        }
        if complete {
            #expect(after.count == records, "\(context): \(after.count) of \(records) sequences after the second repair")
            let report = try SegmentLog.verify(directory: path)
            #expect(report.errors == 0, "\(context): \(report.problems)")
        }
    }

    /// Applies one repair through `fileSystem` (or the real one).
    @discardableResult
    static func repair(_ path: String, fileSystem: (any LogFileSystem)?, beforeApply: () -> Void = {}) -> Result<RepairOutcome, any Error> {
        var options = LogOptions()
        if let fileSystem { options.fileSystem = fileSystem }
        do {
            let lock = try WriterLock.acquire(directory: path, options: options)
            defer { lock.release() }
            let plan = try SegmentLog.planRepair(directory: path, lock: lock, options: options)
            beforeApply()
            return .success(try SegmentLog.applyRepair(plan, lock: lock, options: options))
        } catch {
            return .failure(error)
        }
    }

    enum Fault: String, CaseIterable, CustomTestStringConvertible {
        case powerCutAfterWrite, powerCutAfterSync, failedSync, failedDirectorySync, diskFull
        var testDescription: String { rawValue }
    }

    @Test(arguments: Damage.allCases, Fault.allCases)
    func interruptedRepairIsNeverWorseAndASecondRepairCompletesIt(damage: Damage, fault: Fault) throws {
        let seed = FaultScale.seed(for: "repair-\(damage)-\(fault)")
        print("[repair-\(damage)-\(fault)] FAULT_SEED=\(seed)")
        var random = SeededGenerator(seed: seed)
        let temp = TemporaryDirectory("repair-faults")
        let pristine = temp.child("pristine")
        try Self.makeDamagedLog(pristine, damage: damage)
        let before = try Self.readable(pristine)
        #expect(before.count < Self.records, "the damage lost no record")
        // An uninterrupted repair works and loses nothing.
        let clean = temp.child("clean")
        try FileManager.default.copyItem(atPath: pristine, toPath: clean)
        let outcome = try Self.repair(clean, fileSystem: nil).get()
        #expect(outcome.isRepaired, "\(outcome.after.problems)")
        try Self.expectNotWorse(clean, before: before, context: "FAULT_SEED=\(seed) uninterrupted", complete: true)

        var reached = false
        var points = 0
        for n in 1...400 where !reached {
            points = n
            let context = "FAULT_SEED=\(seed) \(damage) \(fault) n=\(n)"
            let work = temp.child("run-\(n)")
            try FileManager.default.copyItem(atPath: pristine, toPath: work)
            let fileSystem = FaultFileSystem(seed: random.split())
            let result = Self.repair(work, fileSystem: fileSystem) {
                // Planning read the log; the fault is aimed at the n-th change.
                let counts = fileSystem.counts
                let used = fileSystem.usedBytes
                fileSystem.updatePlan { plan in
                    switch fault {
                    case .powerCutAfterWrite: plan.failingWrite = counts.writes + n
                    case .powerCutAfterSync: plan.failingSync = counts.syncs + n
                    case .failedSync: plan.failingSync = counts.syncs + n
                    case .failedDirectorySync: plan.failingDirectorySync = counts.directorySyncs + n
                    case .diskFull: plan.capacityBytes = used + (n - 1) * 97
                    }
                }
            }
            if fileSystem.injected.isEmpty {
                // The repair finished before the n-th operation: every point was covered.
                #expect((try? result.get())?.isRepaired == true, "\(context): \(result)")
                reached = true
            }
            if fault != .failedSync || !fileSystem.injected.isEmpty {
                // Power cut: unsynced writes and directory changes are lost at random.
                fileSystem.crash(using: &random)
            }
            try Self.expectNotWorse(work, before: before, context: context + " after the fault", complete: false)
            // A second repair, on healthy storage, completes the job.
            let second = Self.repair(work, fileSystem: nil)
            #expect((try? second.get())?.isRepaired == true, "\(context): second repair: \(second)")
            try Self.expectNotWorse(work, before: before, context: context + " after the second repair", complete: true)
        }
        #expect(reached, "FAULT_SEED=\(seed): the repair never finished within 400 operations")
        #expect(points > 1, "FAULT_SEED=\(seed): no fault was ever injected")
        print("[repair-\(damage)-\(fault)] faults injected at \(points - 1) points")
    }
}
