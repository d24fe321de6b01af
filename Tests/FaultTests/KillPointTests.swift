import Foundation
import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #2 and #6: the engine kills itself (SIGKILL) at each of its
/// named kill points — before and after each write and fsync, at every step
/// of creating a segment, of writing an index, of retention and of recovery —
/// on the 1st and then later hits, in one log that keeps growing across the
/// crashes. Each time the log must reopen with every acknowledged record
/// intact, no duplicate and no half-made segment or index accepted.
@Suite("Kill points in the write path (reliability scenario #2, #6)")
struct KillPointTests {
    @Test(arguments: KillPoint.all)
    func crashAtKillPoint(_ name: String) throws {
        let seed = FaultScale.seed(for: "kill-point \(name)")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("killpoint")
        let log = directory.child()
        let usesRetention = name.hasPrefix("retention.")
        var next: UInt64 = 0
        var landed = 0
        for attempt in 0..<FaultScale.killPointHits {
            // Recovery passes its kill point once per open; the others many times.
            let hit = attempt == 0 || name == "recovery.before-truncate" ? 1 : random.int(2...6)
            if name == "recovery.before-truncate" {
                try prepareTornTail(log, next: &next, random: &random)
            }
            var arguments = ["--dir", log, "--count", "\(next + 600)", "--batch-max", "8", "--segment-bytes", "2048", "--seed", "\(seed &+ UInt64(attempt))"]
            if usesRetention { arguments += ["--retention-bytes", "6000"] }
            let previous = next > 0 ? IngestRun(attempted: next - 1, acknowledged: next - 1) : nil
            let run = try IngestRun.run(arguments, environment: ["SIGNALLOG_KILL_AT": "\(name)#\(hit)"], previous: previous)
            let context = "FAULT_SEED=\(seed) SIGNALLOG_KILL_AT=\(name)#\(hit) (attempt \(attempt + 1))"
            #expect(run.killed, "\(context): the child was not killed at the kill point (exit \(run.exitCode.map(String.init) ?? "?"), last lines \(run.lines))")
            if run.killed { landed += 1 }
            var check = CrashCheck(context: context)
            check.allowsRetention = usesRetention
            let outcome = check.verify(log, acknowledged: run.acknowledged, attempted: run.attempted)
            guard let reopenedNext = outcome.next else { return }
            next = reopenedNext
        }
        print("[kill-point] \(name): \(landed) kills survived (FAULT_SEED=\(seed))")
    }

    /// Makes sure the log has records, then appends garbage to its last
    /// segment so the next open has a torn tail to truncate.
    private func prepareTornTail(_ log: String, next: inout UInt64, random: inout SeededGenerator) throws {
        if next == 0 {
            let run = try IngestRun.run(["--dir", log, "--count", "40", "--batch-max", "4", "--segment-bytes", "2048"])
            #expect(run.finished, "setting up the log for recovery.before-truncate failed: \(run.lines)")
            next = 40
        }
        let last = FileBytes.names(in: log).filter { $0.hasSuffix(".seg") }.last!
        var bytes = FileBytes.read(log + "/" + last)
        bytes += (0..<random.int(1...300)).map { _ in UInt8.random(in: 0...255, using: &random) }
        FileBytes.write(log + "/" + last, bytes)
    }
}
