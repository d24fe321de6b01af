import TestSupport
import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #19: a long randomized run mixing appends, syncs,
/// rotation by size and age, retention by size and age, clean reopens,
/// queries checked against a brute-force model, power cuts through the
/// fault layer and injected ENOSPC and fsync failures.
///
/// The run is a sequence of rounds, each a fresh log driven by its own seed
/// derived from the base seed; it goes on for `FAULT_SOAK_SECONDS` (60 in
/// CI), or until three rounds have failed. A failure names its round seed: `FAULT_SOAK_ROUND_SEED=<seed>`
/// replays exactly that round, and `FAULT_SEED=<base>` the whole run.
@Suite("Soak (reliability scenario #19)")
struct SoakTests {
    @Test func randomizedSoak() throws {
        if let roundSeed = FaultScale.soakRoundSeed {
            _ = SoakRound(seed: roundSeed).run()
            return
        }
        let seed = FaultScale.seed(for: "soak")
        var random = SeededGenerator(seed: seed)
        let seconds = FaultScale.soakSeconds
        let started = Date()
        let deadline = started.addingTimeInterval(TimeInterval(seconds))
        var rounds = 0
        var failed = 0
        var operations = 0
        repeat {
            let round = SoakRound(seed: random.split())
            let outcome = round.run()
            rounds += 1
            operations += outcome.operations
            if !outcome.passed { failed += 1 }
        } while Date() < deadline && failed < 3
        print("[soak] FAULT_SEED=\(seed): \(rounds) rounds (\(failed) failed), \(operations) operations in \(Int(Date().timeIntervalSince(started))) s")
    }
}

/// One soak round: a fresh log on a fault layer, a few hundred random
/// operations, each checked against a model of what the log must hold.
struct SoakRound {
    let seed: UInt64

    /// What a round did and whether every check held.
    struct Outcome {
        var operations = 0
        var passed = true
    }

    /// The model: which sequences the log holds and which are durable, and
    /// the append time of every batch ever written.
    private struct Model {
        var first: UInt64 = 0
        var next: UInt64 = 0
        var durable: UInt64 = 0
        /// One past the last sequence ever attempted (a failed append may survive).
        var attempted: UInt64 = 0
        var timestamps: [(range: ClosedRange<UInt64>, timestamp: Int64)] = []

        func timestamp(of sequence: UInt64) -> Int64? {
            timestamps.last { $0.range.contains(sequence) }?.timestamp
        }

        func expected(_ query: LogQuery) -> [UInt64] {
            let start = max(first, query.fromSequence)
            guard start < next else { return [] }
            return (start..<next).filter { sequence in
                guard let timestamp = timestamp(of: sequence),
                      query.matches(sequence: sequence, timestamp: timestamp, kind: DerivedRecord.kind(sequence)) else { return false }
                return query.partitions.map { $0.contains(DerivedRecord.partition(sequence)) } ?? true
            }
        }
    }

    func run() -> Outcome {
        var outcome = Outcome()
        var random = SeededGenerator(seed: seed)
        let context = "soak round FAULT_SOAK_ROUND_SEED=\(seed)"
        func fail(_ text: String) {
            if outcome.passed { Issue.record(Comment(rawValue: "\(context): \(text)")) }
            outcome.passed = false
        }
        let directory = TemporaryDirectory("soak")
        let path = directory.child()
        let clock = ManualClock(microseconds: 1_764_000_000_000_000)
        var fileSystem = FaultFileSystem(seed: random.split())
        var options = LogOptions()
        options.clock = clock
        options.segmentMaxBytes = Int64(random.int(1024...16_384))
        options.segmentMaxAge = Int64(random.int(5...120)) * 1_000_000
        options.indexIntervalBytes = random.int(128...4096)
        options.durability = random.chance(1, in: 2) ? .always : .os
        options.fileSystem = fileSystem
        var model = Model()
        var log: SegmentLog
        do {
            log = try SpawnGate.open(path, options: options)
        } catch {
            fail("the first open failed: \(error)")
            return outcome
        }

        /// Reopens after the fault layer "crashed" or failed; checks what survived.
        func recover(_ why: String) {
            withExtendedLifetime(log) {}
            fileSystem = FaultFileSystem(seed: random.split())
            options.fileSystem = fileSystem
            do {
                log = try SpawnGate.open(path, options: options)
            } catch {
                fail("reopening after \(why) failed: \(error)")
                return
            }
            let next = log.nextSequence
            if next < model.durable { fail("after \(why) the log ends at \(next) but \(model.durable) were durable") }
            if next > max(model.next, model.attempted) { fail("after \(why) the log holds \(next) records, only \(max(model.next, model.attempted)) were attempted") }
            model.next = next
            model.attempted = next
            model.first = log.firstSequence
            model.durable = model.next
            if let problem = CrashCheck.recordProblem(log, from: model.first, through: model.next) { fail("after \(why): \(problem)") }
            // A batch whose append failed may have survived: learn its append time.
            let survivors = QueryRun(log, LogQuery(fromSequence: model.first))
            model.timestamps = survivors.records.map { ($0.sequence...$0.sequence, $0.timestamp) }
        }

        for _ in 0..<random.int(50...400) where outcome.passed {
            outcome.operations += 1
            clock.advance(byMicroseconds: Int64(random.int(0...2_000_000)))
            do {
                switch random.int(0...99) {
                case 0..<55:
                    let first = model.next
                    let records = (first..<first + UInt64(random.int(1...12))).map(DerivedRecord.append)
                    let result = try log.append(records)
                    if result.firstSequence != first { fail("an append landed at \(result.firstSequence), expected \(first)") }
                    model.timestamps.append((result.firstSequence...result.lastSequence, result.timestamp))
                    model.next = result.lastSequence + 1
                    if options.durability == .always { model.durable = model.next }
                case 55..<60:
                    try log.sync()
                    model.durable = model.next
                case 60..<64:
                    try log.rotate()
                case 64..<68:
                    try log.rotateIfDue()
                case 68..<73:
                    let policy = random.chance(1, in: 2)
                        ? RetentionPolicy(maxTotalBytes: Int64(random.int(2_000...40_000)))
                        : RetentionPolicy(maxAge: Int64(random.int(10...300)) * 1_000_000)
                    try log.applyRetention(policy)
                    let first = log.firstSequence
                    if first < model.first || first > model.next { fail("retention moved the start from \(model.first) to \(first) (end \(model.next))") }
                    model.first = first
                case 73..<86:
                    let query = randomQuery(&random, model: model)
                    let run = QueryRun(log, query)
                    if let error = run.error { fail("query \(query) failed: \(error)") }
                    if let corrupt = run.corruptRecord { fail("query \(query) returned \(corrupt)") }
                    let expected = model.expected(query)
                    if run.sequences != expected { fail("query \(query) returned \(run.sequences.count) records, expected \(expected.count)") }
                case 86..<90:
                    try log.close()
                    model.durable = model.next
                    log = try SpawnGate.open(path, options: options)
                    if log.nextSequence != model.next || log.firstSequence != model.first {
                        fail("a clean reopen gave \(log.firstSequence)..<\(log.nextSequence), expected \(model.first)..<\(model.next)")
                    }
                case 90..<95:
                    fileSystem.crash(using: &random)
                    recover("a power cut")
                case 95..<98:
                    // The disk fills; the append fails cleanly; space comes back.
                    let capacity = fileSystem.usedBytes + random.int(0...600)
                    fileSystem.updatePlan { $0.capacityBytes = capacity }
                    let first = model.next
                    do {
                        let result = try log.append((first..<first + UInt64(random.int(1...12))).map(DerivedRecord.append))
                        model.timestamps.append((result.firstSequence...result.lastSequence, result.timestamp))
                        model.next = result.lastSequence + 1
                        if options.durability == .always { model.durable = model.next }
                    } catch {
                        if log.nextSequence != first { fail("a failed append on a full disk moved the end to \(log.nextSequence)") }
                    }
                    fileSystem.updatePlan { $0.capacityBytes = nil }
                default:
                    // The next fsync fails: whatever it belonged to, the round then restarts the log.
                    let syncs = fileSystem.counts.syncs
                    fileSystem.updatePlan { $0.failingSync = syncs + 1 }
                    let first = model.next
                    let records = (first..<first + UInt64(random.int(1...12))).map(DerivedRecord.append)
                    model.attempted = first + UInt64(records.count)
                    let appended = try? log.append(records)
                    if let appended {
                        model.timestamps.append((appended.firstSequence...appended.lastSequence, appended.timestamp))
                        model.next = appended.lastSequence + 1
                    }
                    _ = try? log.sync()
                    fileSystem.crash(using: &random)
                    recover("a failed fsync")
                }
            } catch {
                fail("operation \(outcome.operations) failed: \(error)")
            }
        }
        if outcome.passed {
            if let problem = CrashCheck.recordProblem(log, from: model.first, through: model.next) { fail("at the end: \(problem)") }
        }
        try? log.close()
        return outcome
    }

    private func randomQuery(_ random: inout SeededGenerator, model: Model) -> LogQuery {
        var query = LogQuery()
        let span = max(1, Int(model.next) - Int(model.first))
        if random.chance(1, in: 2) { query.fromSequence = model.first + UInt64(random.int(0...span)) }
        if random.chance(1, in: 4) { query.throughSequence = model.first + UInt64(random.int(0...span)) }
        if random.chance(1, in: 3), let some = model.timestamps.randomElement(using: &random) {
            query.since = some.timestamp - Int64(random.int(0...5_000_000))
            query.until = some.timestamp + Int64(random.int(1...5_000_000))
        }
        if random.chance(1, in: 3) { query.partitions = ["part-\(random.int(0...6))", "part-\(random.int(0...6))"] }
        if random.chance(1, in: 4) { query.kinds = [UInt8(random.int(0...4))] }
        return query
    }
}
