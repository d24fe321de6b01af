import TestSupport
import Testing
@testable import SegmentLog

/// The pass criteria of a log reopened after a crash (docs/reliability-tests.md #1, #2,
/// #3, #6): it opens; every acknowledged record is present and byte-identical;
/// anything more is a contiguous run of attempted records; no record is
/// corrupt; segments chain without gaps; and a second open finds nothing
/// left to repair. Each failed criterion is recorded as a test issue that
/// carries `context` (the seed to replay it).
struct CrashCheck {
    /// Printed with every failure (seed, round, kill point).
    var context: String
    /// Retention may have removed a prefix of the log.
    var allowsRetention = false
    /// Options for the reopen (the default is the writable default: `.refuse`).
    var options = LogOptions()

    /// What a check found.
    struct Outcome {
        /// The log's next sequence after recovery (nil if it did not open).
        var next: UInt64?
        var first: UInt64 = 0
        var recovery = RecoveryReport()
        /// Every criterion that failed (already recorded as issues).
        var problems: [String] = []
    }

    /// Opens `directory` for writing, checks it and closes it again.
    ///
    /// - Parameters:
    ///   - acknowledged: the highest sequence the writer acknowledged (must survive).
    ///   - attempted: the highest sequence the writer tried to append (nothing past it may appear).
    ///   - verifyFrom: read and compare records from here (the whole log by default).
    @discardableResult
    func verify(_ directory: String, acknowledged: UInt64?, attempted: UInt64?, verifyFrom: UInt64 = 0) -> Outcome {
        var outcome = Outcome()
        func fail(_ text: String) {
            outcome.problems.append(text)
            Issue.record(Comment(rawValue: "\(context): \(text)"))
        }
        let log: SegmentLog
        do {
            log = try SpawnGate.open(directory, options: options)
        } catch {
            fail("reopening after the crash failed: \(error)")
            return outcome
        }
        outcome.recovery = log.recoveryReport
        let first = log.firstSequence
        let next = log.nextSequence
        outcome.first = first
        outcome.next = next
        if !allowsRetention && first != 0 { fail("the log starts at \(first), not 0") }
        if let acknowledged, next <= acknowledged {
            fail("acknowledged sequence \(acknowledged) is missing; the log ends before \(next); recovery: \(log.recoveryReport)")
        }
        if next > (attempted.map { $0 + 1 } ?? 0) {
            fail("the log holds sequences up to \(next - 1) but only up to \(attempted.map(String.init) ?? "none") were attempted")
        }
        var expectedBase: UInt64? = nil
        for segment in log.segments() {
            if let expectedBase, segment.baseSequence != expectedBase {
                fail("\(segment.path) starts at \(segment.baseSequence), expected \(expectedBase)")
            }
            expectedBase = segment.lastSequence.map { $0 + 1 } ?? segment.baseSequence
        }
        if let problem = Self.recordProblem(log, from: max(verifyFrom, first), through: next) { fail(problem) }
        do { try log.close() } catch { fail("close after recovery failed: \(error)") }

        do {
            let again = try SpawnGate.open(directory, options: options)
            if again.nextSequence != next || again.firstSequence != first {
                fail("a second reopen moved the log from \(first)..<\(next) to \(again.firstSequence)..<\(again.nextSequence)")
            }
            let report = again.recoveryReport
            if report.truncatedTail != nil || !report.rebuiltIndexes.isEmpty || !report.removedFiles.isEmpty {
                fail("a second reopen repaired again: \(report)")
            }
            try again.close()
        } catch {
            fail("the second reopen failed: \(error)")
        }
        return outcome
    }

    /// Why the records `start..<end` are not all there, in order, as derived;
    /// nil if they are.
    static func recordProblem(_ log: SegmentLog, from start: UInt64, through end: UInt64) -> String? {
        let reader = log.read(LogQuery(fromSequence: start))
        var expected = start
        do {
            while let record = try reader.next() {
                guard record.sequence == expected else { return "read sequence \(record.sequence) where \(expected) belongs" }
                if let mismatch = DerivedRecord.mismatch(record) { return "corrupt record returned: \(mismatch)" }
                expected += 1
            }
        } catch {
            return "reading from \(start) failed at \(expected): \(error)"
        }
        return expected == end ? nil : "reading stopped at \(expected) but the log ends before \(end)"
    }
}
