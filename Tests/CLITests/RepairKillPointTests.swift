import Foundation
import SegmentLog
import Testing

/// `signallog repair` killed (SIGKILL) at each of the repair's kill points
/// leaves the log no worse than before, and running it again completes it.
@Suite("repair killed at every step")
struct RepairKillPointTests {
    static let points = ["repair.after-copy", "repair.after-temp-write", "repair.after-replace", "repair.after-set-aside", "repair.after-truncate"]

    /// Record lines of `cat -o ndjson` by sequence.
    private func records(_ log: String) throws -> [Int: String] {
        let cat = try signallog(["cat", log, "-o", "ndjson"])
        var out: [Int: String] = [:]
        for line in cat.lines {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let sequence = object["sequence"] as? Int else { continue }
            out[sequence] = line
        }
        return out
    }

    @Test(arguments: ["flipped-bit", "torn-tail", "cut-clean-close"], points)
    func killedRepairIsNeverWorseAndRunningItAgainCompletesIt(fixture: String, point: String) throws {
        let temp = TemporaryDirectory()
        let log = try copyFixture(fixture, into: temp)
        let before = try records(log)
        let killed = try signallog(["repair", log, "--yes"], environment: ["SIGNALLOG_KILL_AT": point])
        let after = try records(log)
        for (sequence, line) in before {
            #expect(after[sequence] == line, "\(fixture) killed at \(point) (status \(killed.status)): record \(sequence) changed or went missing")
        }
        for (sequence, line) in after where before[sequence] == nil {
            #expect(line.contains(#""kind":"lost""#), "\(fixture) at \(point): record \(sequence) is new and not a placeholder: \(line)")
        }
        let again = try signallog(["repair", log, "--yes"])
        #expect(again.status == 0, "\(fixture) at \(point): \(again)")
        #expect(try signallog(["verify", log]).status == 0)
        let repaired = try records(log)
        for (sequence, line) in before { #expect(repaired[sequence] == line) }
        let sequences = repaired.keys.sorted()
        #expect(sequences == Array(0..<(sequences.count)), "\(fixture) at \(point): sequences are not gap-free")
    }
}
