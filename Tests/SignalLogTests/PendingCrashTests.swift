import Foundation
import SegmentLog
import Testing
@testable import SignalLog

/// A SIGKILL with many signals pending, then a reopen (issue 13; the full
/// 1 M-signal run is tools/bench/pending-crash.sh).
@Suite("Crash with a large backlog", .serialized)
struct PendingCrashTests {
    @Test func aKillWithManySignalsPendingThenReopenProcessesEveryOneInPartitionOrder() async throws {
        let directory = temporaryDirectory("pending-crash")
        defer { removeDirectory(directory) }
        let acks = try await offPool { try runChildAndKill(directory: directory, firstIndex: 0, acks: 10_000, acceptOnly: true) }
        #expect(acks.count >= 10_000)
        var options = testOptions()
        options.clock = SystemClock()
        options.pendingWindow = 256
        options.queueCapacity = 256
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "reopen", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
        #expect(node.startup.pendingSignals >= acks.count, "every acknowledged signal is pending after the kill")
        #expect(await eventually { node.queueDepth == 0 })
        #expect(await node.gracefulShutdown(timeout: patience))

        let sequenceOf = Dictionary(uniqueKeysWithValues: acks.map { ($0.id, $0.sequence) })
        var times: [String: Int] = [:]
        var last: [String: UInt64] = [:]
        for signal in recorder.signals {
            times[signal.id, default: 0] += 1
            guard let sequence = sequenceOf[signal.id] else { continue }
            if let previous = last[signal.partitionKey], previous > sequence {
                Issue.record("partition \(signal.partitionKey): \(signal.id) at \(sequence) processed after \(previous)")
            }
            last[signal.partitionKey] = sequence
        }
        for ack in acks where times[ack.id] != 1 {
            Issue.record("\(ack.id) processed \(times[ack.id] ?? 0) times")
        }
        #expect(times.count == node.startup.pendingSignals, "nothing beyond what was pending was processed")
    }
}
