import Testing
@testable import SegmentLog

/// docs/reliability-tests.md #1: SIGKILL at random points during a large ingestion with
/// an fsync per batch. After each kill the log is reopened and checked: every
/// acknowledged record present and byte-identical, extras only attempted
/// ones, nothing corrupt. CI runs 100 kills over 20,000 records; the full run
/// (`tools/faults/full-kills.sh`) 200 kills over 1,000,000.
@Suite("SIGKILL during ingestion (reliability scenario #1)")
struct SigkillCrashTests {
    @Test func acknowledgedRecordsSurviveRandomKills() throws {
        let seed = FaultScale.seed(for: "sigkill")
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("sigkill")
        let log = directory.child()
        let total = FaultScale.records
        let wantedKills = FaultScale.kills
        let batchMax = 64
        let segmentBytes = total > 100_000 ? 1 << 20 : 128 << 10
        // Kill after 1 to (batches / kills) acknowledgements: the kills land in
        // the first half or so of the ingestion, which then runs to the end.
        let meanAcks = max(2, total / (batchMax / 2) / wantedKills)
        var kills = 0
        var previous: IngestRun? = nil
        var runs = 0
        while true {
            let killAfter = kills < wantedKills ? random.int(1...meanAcks) : nil
            let arguments = ["--dir", log, "--count", "\(total)", "--batch-max", "\(batchMax)", "--segment-bytes", "\(segmentBytes)", "--seed", "\(seed)"]
            let run = try IngestRun.run(arguments, killAfter: killAfter, extraMicroseconds: random.int(0...3000), previous: previous)
            runs += 1
            let context = "FAULT_SEED=\(seed) run \(runs) (kill \(kills + 1), acknowledged through \(run.acknowledged.map(String.init) ?? "none"))"
            if run.killed {
                kills += 1
                // The last few thousand records every time; the whole log every tenth kill.
                let from = kills % 10 == 0 ? 0 : (run.acknowledged ?? 0) &- min(run.acknowledged ?? 0, 3_000)
                let outcome = CrashCheck(context: context).verify(log, acknowledged: run.acknowledged, attempted: run.attempted, verifyFrom: from)
                guard let next = outcome.next else { return }
                // What the next child resumes from is what survived.
                previous = IngestRun(attempted: next > 0 ? next - 1 : nil, acknowledged: next > 0 ? next - 1 : nil)
                continue
            }
            guard run.finished, run.exitCode == 0 else {
                Issue.record("\(context): the child ended without being killed or finishing: exit \(run.exitCode.map(String.init) ?? "signal"); last lines \(run.lines)")
                return
            }
            break
        }
        CrashCheck(context: "FAULT_SEED=\(seed) final").verify(log, acknowledged: UInt64(total - 1), attempted: UInt64(total - 1))
        print("[sigkill] FAULT_SEED=\(seed): \(kills) kills survived over \(total) records in \(runs) runs")
        #expect(kills >= wantedKills, "FAULT_SEED=\(seed): only \(kills) of \(wantedKills) kills landed before ingestion finished")
    }
}
