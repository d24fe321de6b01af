import TestSupport
import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #4: the active segment cut at every byte offset of its last
/// three batches (and at random offsets before them). Each time: open
/// succeeds, exactly the complete batches come back, the next append works
/// and lands at the next sequence, and a second reopen changes nothing.
/// Run over a generated log and over the golden fixture fixtures/v1/basic.
@Suite("Torn tails (reliability scenario #4)")
struct TornTailTests {
    @Test func everyOffsetOfTheLastThreeBatches() throws {
        let seed = FaultScale.seed(for: "torn-tail")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("torn")
        // A log whose active segment holds at least four batches after at
        // least one sealed segment (batch sizes are random: retry with the
        // next derived seed until one does).
        var attempt = 0
        var generated = try GeneratedLog(directory: directory.child("log-0"), seed: random.split(), batchCount: 40, segmentMaxBytes: 12_288)
        while generated.batches.filter({ $0.path == generated.segmentPaths.last! }).count < 4 || generated.segmentPaths.count < 2 {
            attempt += 1
            try #require(attempt < 20, "FAULT_SEED=\(seed): no generated log had four batches in its active segment")
            generated = try GeneratedLog(directory: directory.child("log-\(attempt)"), seed: random.split(), batchCount: 40, segmentMaxBytes: 12_288)
        }
        let active = generated.segmentPaths.last!
        let inActive = generated.batches.filter { $0.path == active }
        let original = FileBytes.read(active)
        let sweepStart = Int(inActive[inActive.count - 3].offset)
        var offsets = Array(sweepStart..<original.count)
        for _ in 0..<64 { offsets.append(random.int(SegmentFormat.segmentHeaderSize...(sweepStart - 1))) }
        let boundaries = [Int64(SegmentFormat.segmentHeaderSize)] + inActive.map(\.end)
        let names = FileBytes.names(in: generated.directory)
        var checked = 0
        for offset in offsets {
            Self.removeFiles(in: generated.directory, notIn: names)
            FileBytes.write(active, Array(original[0..<offset]))
            let expectedNext = generated.batches.last { $0.path != active || $0.end <= Int64(offset) }.map { $0.sequences.upperBound + 1 } ?? 0
            // Recovery cuts back to the end of the last whole batch.
            let clean = boundaries.contains(Int64(offset))
            let cutBack = boundaries.last { $0 <= Int64(offset) }!
            if !check(generated.directory, options: generated.options(segmentMaxBytes: 12_288), expectedNext: expectedNext, tornAt: clean ? nil : cutBack,
                      context: "cut at \(offset) of \(original.count) (FAULT_SEED=\(seed))") { break }
            checked += 1
        }
        print("[torn-tail] FAULT_SEED=\(seed): \(checked) offsets checked")
    }

    /// The golden fixture's active segment, cut at every offset of its last
    /// three batches; the records that remain must be a prefix of the
    /// uncut log's, ending at a batch boundary.
    @Test func everyOffsetOfTheFixturesLastBatches() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/v1/basic").standardized.path
        try #require(FileManager.default.fileExists(atPath: fixture), "the golden fixture \(fixture) is missing")
        let directory = TemporaryDirectory("torn-fixture")
        let copy = directory.child()
        FileBytes.copyDirectory(fixture, to: copy)
        let active = copy + "/" + FileBytes.names(in: copy).filter { $0.hasSuffix(".seg") }.last!
        let original = FileBytes.read(active)
        let reference = try Self.readAll(SegmentLog.openReadOnly(directory: copy))
        var ends: [(end: Int, next: UInt64)] = []
        var offset = SegmentFormat.segmentHeaderSize
        while offset < original.count {
            let header = try #require(original.withUnsafeBytes { BatchHeader.decode(UnsafeRawBufferPointer(rebasing: $0[offset...])) })
            offset += header.totalLength
            ends.append((offset, header.lastSequence + 1))
        }
        try #require(ends.count >= 3 && offset == original.count)
        let sweepStart = ends.count > 3 ? ends[ends.count - 4].end : SegmentFormat.segmentHeaderSize
        for cut in sweepStart..<original.count {
            FileBytes.copyDirectory(fixture, to: copy)
            FileBytes.write(active, Array(original[0..<cut]))
            let expectedNext = ends.last { $0.end <= cut }?.next ?? UInt64(FileBytes.names(in: copy).filter { $0.hasSuffix(".seg") }.last!.prefix(20))!
            let context = "fixture cut at \(cut) of \(original.count)"
            do {
                let log = try SpawnGate.open(copy)
                let records = try Self.readAll(log)
                #expect(log.nextSequence == expectedNext, "\(context): the log ends at \(log.nextSequence), expected \(expectedNext)")
                #expect(records == Array(reference.prefix(Int(expectedNext))), "\(context): the records are not the complete batches")
                let appended = try log.append(kind: 9, partition: "after", payload: [1, 2, 3])
                #expect(appended.firstSequence == expectedNext, "\(context): the next append landed at \(appended.firstSequence)")
                try log.close()
                let again = try SpawnGate.open(copy)
                #expect(again.nextSequence == expectedNext + 1 && again.recoveryReport.truncatedTail == nil, "\(context): the second reopen changed the log: \(again.recoveryReport)")
                try again.close()
            } catch {
                Issue.record("\(context): \(error)")
                break
            }
        }
    }

    /// A hole of zeros (unsynced batches that never reached the disk) followed
    /// by a batch that did: the state a power cut leaves when writeback is
    /// reordered. The batch after the hole was never synced, so it is a torn
    /// tail, not corruption: the log must open and keep the batches before.
    @Test func zeroHoleBeforeAnUnsyncedBatch() throws {
        let seed = FaultScale.seed(for: "zero-hole")
        let directory = TemporaryDirectory("hole")
        let generated = try GeneratedLog(directory: directory.child(), seed: seed, batchCount: 12, segmentMaxBytes: 1 << 20)
        let active = generated.segmentPaths.last!
        var bytes = FileBytes.read(active)
        let hole = generated.batches[generated.batches.count - 3]
        for i in Int(hole.offset)..<Int(generated.batches[generated.batches.count - 2].end) { bytes[i] = 0 }
        FileBytes.write(active, bytes)
        _ = check(generated.directory, options: generated.options(segmentMaxBytes: 1 << 20), expectedNext: hole.sequences.lowerBound, tornAt: hole.offset,
                  context: "zeros over the last batches but one (FAULT_SEED=\(seed))")
    }

    /// A batch that starts 1 to 7 bytes before a 512-byte sector boundary and
    /// was torn there: its first sector never reached the disk (so those few
    /// bytes are still zeros, too few to zero its 8-byte magic and checksum)
    /// while the next sector and a later batch did.
    /// Found by the soak (FAULT_SOAK_ROUND_SEED=8261622943444651749). Nothing
    /// after the tear was synced, so it is a torn tail and the log must open.
    @Test func batchTornAtASectorBoundaryJustAfterItsStart() throws {
        let seed = FaultScale.seed(for: "sector-torn")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("sector-torn")
        for attempt in 0..<40 {
            let generated = try GeneratedLog(directory: directory.child("log-\(attempt)"), seed: random.split(), batchCount: 30, segmentMaxBytes: 1 << 20)
            let batches = generated.batches
            guard let torn = batches.dropLast().first(where: { (1...7).contains(512 - $0.offset % 512) && $0.offset > 512 }) else { continue }
            let active = generated.segmentPaths.last!
            var bytes = FileBytes.read(active)
            let boundary = Int((torn.offset / 512 + 1) * 512)
            for i in Int(torn.offset)..<boundary { bytes[i] = 0 }
            FileBytes.write(active, bytes)
            _ = check(generated.directory, options: generated.options(segmentMaxBytes: 1 << 20), expectedNext: torn.sequences.lowerBound, tornAt: torn.offset,
                      context: "batch at \(torn.offset) torn at the sector boundary \(boundary) (FAULT_SEED=\(seed), attempt \(attempt))")
            return
        }
        Issue.record("FAULT_SEED=\(seed): no generated log had a batch starting just before a sector boundary")
    }

    /// Opens, checks the records and the tail report, appends, reopens.
    /// Returns false after a failure (so a sweep stops at the first).
    func check(_ directory: String, options: LogOptions, expectedNext: UInt64, tornAt: Int64?, context: String) -> Bool {
        do {
            let log = try SpawnGate.open(directory, options: options)
            #expect(log.nextSequence == expectedNext, "\(context): the log ends at \(log.nextSequence), expected \(expectedNext)")
            if let tornAt {
                #expect(log.recoveryReport.truncatedTail?.offset == tornAt, "\(context): expected a torn tail at \(tornAt), got \(String(describing: log.recoveryReport.truncatedTail))")
            } else {
                #expect(log.recoveryReport.truncatedTail == nil, "\(context): a clean cut was reported as torn")
            }
            if let problem = CrashCheck.recordProblem(log, from: 0, through: expectedNext) {
                Issue.record(Comment(rawValue: "\(context): \(problem)"))
                return false
            }
            let appended = try log.append([DerivedRecord.append(expectedNext)])
            #expect(appended.firstSequence == expectedNext, "\(context): the next append landed at \(appended.firstSequence)")
            try log.close()
            let again = try SpawnGate.open(directory, options: options)
            defer { try? again.close() }
            let report = again.recoveryReport
            guard again.nextSequence == expectedNext + 1, report.truncatedTail == nil, report.rebuiltIndexes.isEmpty, report.removedFiles.isEmpty else {
                Issue.record(Comment(rawValue: "\(context): the second reopen changed the log: next \(again.nextSequence), \(report)"))
                return false
            }
            if let problem = CrashCheck.recordProblem(again, from: 0, through: expectedNext + 1) {
                Issue.record(Comment(rawValue: "\(context): after the second reopen: \(problem)"))
                return false
            }
            return true
        } catch {
            Issue.record(Comment(rawValue: "\(context): \(error)"))
            return false
        }
    }

    /// Removes what a previous step added (a new segment, an index), so each
    /// step starts from the same files.
    static func removeFiles(in directory: String, notIn names: [String]) {
        for name in FileBytes.names(in: directory) where !names.contains(name) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    static func readAll(_ log: SegmentLog) throws -> [LogRecord] {
        let reader = log.read()
        var records: [LogRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }
}
