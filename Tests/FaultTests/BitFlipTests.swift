import TestSupport
import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #7: single bit flips at random positions of sealed
/// segments (1,000 in CI, 10,000 in the full run). For every flip:
/// - no corrupt payload is ever returned, by any query;
/// - a read that reaches the damaged batch fails with a corruption error
///   naming that segment and the batch's offset (a flipped segment header
///   makes a writable open fail, naming the segment at offset 0);
/// - records after the damage are still there: a read starting past it
///   returns them all or names the damage it has to walk through, and a
///   read-only open that has to scan the segment (its index hidden) lists
///   the damage with the sequences it holds and reads everything after it,
///   while a writable open refuses.
@Suite("Bit flips in sealed segments (reliability scenario #7)")
struct BitFlipTests {
    @Test func everyFlipIsDetectedAndNamed() throws {
        let seed = FaultScale.seed(for: "bit-flips")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("flips")
        let generated = try GeneratedLog(directory: directory.child(), seed: random.split(), batchCount: 160, segmentMaxBytes: 8192)
        let sealed = Array(generated.segmentPaths.dropLast())
        try #require(sealed.count >= 3)
        var pristine: [String: [UInt8]] = [:]
        let names = FileBytes.names(in: generated.directory)
        for name in names where name != "LOCK" { pristine[generated.directory + "/" + name] = FileBytes.read(generated.directory + "/" + name) }
        let flips = FaultScale.flips
        var detected = 0
        for flip in 0..<flips {
            let segment = sealed[random.int(0...(sealed.count - 1))]
            let bit = random.int(0...(pristine[segment]!.count * 8 - 1))
            let context = "flip \(flip): bit \(bit) (byte \(bit / 8)) of \(segment) (FAULT_SEED=\(seed))"
            FileBytes.flipBit(segment, bit: bit)
            if check(generated, segment: segment, byte: Int64(bit / 8), random: &random, context: context) { detected += 1 }
            TornTailTests.removeFiles(in: generated.directory, notIn: names)
            for (path, bytes) in pristine where FileBytes.read(path) != bytes { FileBytes.write(path, bytes) }
        }
        print("[bit-flips] FAULT_SEED=\(seed): \(detected) of \(flips) flips detected and named")
        #expect(detected == flips, "FAULT_SEED=\(seed): only \(detected) of \(flips) flips were handled as required")
    }

    /// Checks one flipped byte; true if every criterion held.
    private func check(_ generated: GeneratedLog, segment: String, byte: Int64, random: inout SeededGenerator, context: String) -> Bool {
        var ok = true
        func fail(_ text: String) {
            ok = false
            Issue.record(Comment(rawValue: "\(context): \(text)"))
        }
        let options = generated.options(segmentMaxBytes: 8192)
        guard let damaged = generated.batch(in: segment, at: byte) else {
            // The segment header: the open itself must name the segment.
            do {
                let log = try SpawnGate.open(generated.directory, options: options)
                try? log.close()
                fail("a flipped segment header went unnoticed by a writable open")
            } catch {
                if case .corruption(let path, 0, _) = error, path == segment {} else { fail("a flipped segment header gave \(error)") }
            }
            return ok
        }
        let log: SegmentLog
        do {
            log = try SpawnGate.open(generated.directory, options: options)
        } catch {
            if case .corruption(let path, let offset, _) = error, path == segment, offset == damaged.offset { return true }
            fail("open failed without naming the damaged batch at \(damaged.offset): \(error)")
            return false
        }

        // The whole log: everything before the damaged batch, then its error.
        let whole = QueryRun(log, LogQuery())
        if let corrupt = whole.corruptRecord { fail("a corrupt record was returned: \(corrupt)") }
        if whole.error == nil { fail("reading the whole log did not notice the flip in batch \(damaged.sequences) at \(damaged.offset)") }
        if whole.error != nil && !whole.stoppedAt(path: segment, offset: damaged.offset) {
            fail("the read error does not name \(segment) at \(damaged.offset): \(String(describing: whole.error))")
        }
        if whole.sequences != Array(0..<UInt64(whole.sequences.count)) || whole.sequences.count > Int(damaged.sequences.lowerBound) {
            fail("before the damage the read returned sequences \(whole.sequences.first ?? 0)..<\(whole.sequences.count), not a prefix of 0..<\(damaged.sequences.lowerBound)")
        }

        // Past the damage nothing is lost silently: a read from there returns
        // everything, or (when the damaged batch shares an index block with
        // the start, so the reader must walk through it) names the damage.
        let after = damaged.sequences.upperBound + 1
        if after < generated.next {
            let rest = QueryRun(log, LogQuery(fromSequence: after))
            let complete = rest.error == nil && rest.sequences == Array(after..<generated.next)
            var named = false
            if case .corruption(let path, _, _) = rest.error { named = path == segment && rest.sequences == Array(after..<after + UInt64(rest.sequences.count)) }
            if rest.corruptRecord != nil || !(complete || named) {
                fail("reading from \(after), past the damage, returned \(rest.sequences.count) records and \(String(describing: rest.error))")
            }
        }

        // Narrower queries that overlap the damage: exact, or stopped at it.
        let low = damaged.sequences.lowerBound &- min(damaged.sequences.lowerBound, 12)
        let since = damaged.timestamp - Int64(random.int(0...3_000_000))
        let queries = [
            LogQuery(fromSequence: UInt64(random.int(Int(low)...Int(damaged.sequences.upperBound)))),
            LogQuery(since: since, until: damaged.timestamp + Int64(random.int(1...3_000_000))),
            LogQuery(partitions: [DerivedRecord.partition(damaged.sequences.lowerBound)]),
            LogQuery(fromSequence: low, kinds: [DerivedRecord.kind(damaged.sequences.upperBound)]),
        ]
        for query in queries {
            let run = QueryRun(log, query)
            let expected = generated.expected(query)
            if let corrupt = run.corruptRecord { fail("query \(query) returned a corrupt record: \(corrupt)") }
            if run.error == nil {
                if run.sequences != expected { fail("query \(query) silently returned \(run.sequences.count) records instead of \(expected.count)") }
            } else if !run.stoppedAt(path: segment, offset: damaged.offset) || run.sequences != Array(expected.prefix(run.sequences.count)) || run.sequences.contains(where: damaged.sequences.contains) {
                fail("query \(query) stopped with \(String(describing: run.error)) after \(run.sequences.count) records")
            }
        }

        try? log.close()

        // Forced to scan (index hidden): read-only lists the damage, writable refuses.
        let index = segment.replacingOccurrences(of: ".seg", with: ".idx")
        let hidden = generated.directory + ".hidden-index"
        guard rename(index, hidden) == 0 else { fail("cannot hide \(index)"); return ok }
        defer { rename(hidden, index) }
        do {
            let inspector = try SegmentLog.openReadOnly(directory: generated.directory, options: options)
            let damage = inspector.recoveryReport.damage
            if !damage.contains(where: { $0.path == segment && $0.offset == damaged.offset }) {
                fail("a read-only scan did not list damage at \(damaged.offset): \(damage)")
            }
            let missing = damage.reduce(into: Set<UInt64>()) { $0.formUnion($1.missingSequences) }
            if !damaged.sequences.allSatisfy(missing.contains) {
                fail("the damage list does not say sequences \(damaged.sequences) are unreadable: \(damage)")
            }
            if after < generated.next {
                let rest = QueryRun(inspector, LogQuery(fromSequence: after))
                if rest.error != nil || rest.sequences != Array(after..<generated.next) || rest.corruptRecord != nil {
                    fail("read-only, reading from \(after) returned \(rest.sequences.count) records and \(String(describing: rest.error))")
                }
            }
            try inspector.close()
        } catch {
            fail("the read-only open failed: \(error)")
        }
        do {
            let refused = try SpawnGate.open(generated.directory, options: options)
            try? refused.close()
            fail("a writable open accepted a scanned segment with a flipped bit")
        } catch {
            if case .corruption(let path, _, _) = error, path == segment {} else { fail("the writable open failed without naming \(segment): \(error)") }
        }
        return ok
    }
}
