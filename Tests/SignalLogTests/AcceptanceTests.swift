import SegmentLog
import Testing
@testable import SignalLog

/// Acceptance writes a batch prepared before the node lock when every
/// signal is accepted, and builds it under the lock when one is refused:
/// both must give the same sequences, records and dedupe entries.
@Suite struct AcceptanceTests {
    @Test func preparedAndRebuiltBatchesAgreeWithTheLog() async throws {
        let directory = temporaryDirectory("accept")
        defer { removeDirectory(directory) }
        let clock = ManualClock(microseconds: 1_000_000)
        var options = testOptions(clock: clock)
        options.processing = false
        let node = try SignalNode.open(nodeID: "accept-1", directory: directory, options: options)

        // All accepted: the prepared batch.
        let first = (0..<5).map { makeSignal("s\($0)", key: "k\($0)", partition: "p\($0 % 2)") }
        let firstResults = try node.receive(batch: first)
        #expect(firstResults == (0..<5).map { .accepted(sequence: UInt64($0)) })

        // A duplicate, an invalid signal and a conflict among new ones: built under the lock.
        clock.advance(byMicroseconds: 250)
        var invalid = makeSignal("bad", key: "k-bad")
        invalid.urgency = 2
        let second = [makeSignal("n0", key: "n0"), makeSignal("s1", key: "k1"), invalid, makeSignal("other", key: "k2"), makeSignal("n1", key: "n1")]
        let secondResults = try node.receive(batch: second)
        #expect(secondResults[0] == .accepted(sequence: 5))
        #expect(secondResults[1] == .duplicate(originalID: first[1].id))
        guard case .rejected(.invalidSignal) = secondResults[2] else {
            Issue.record("an urgency of 2 is refused, got \(secondResults[2])")
            return
        }
        #expect(secondResults[3] == .conflict(originalID: first[2].id))
        #expect(secondResults[4] == .accepted(sequence: 9))

        // Clock stepped back: the next prepared batch is still stamped no earlier.
        clock.advance(byMicroseconds: -100)
        let third = [makeSignal("t0", key: "t0")]
        #expect(try node.receive(batch: third) == [.accepted(sequence: 10)])

        let snapshot = node.projectionSnapshot()
        await node.gracefulShutdown(timeout: patience)

        let logged = try records(in: directory).filter { $0.0.kind != SignalRecordKind.marker.rawValue }
        #expect(logged.map(\.0.sequence) == Array(0...10))
        let kinds = logged.map { entry -> String in
            switch entry.1 {
            case .signal(let record): return "signal:" + record.signal.content.jsonValue.serialized()
            case .attempt(let record):
                switch record.attempt.outcome {
                case .duplicate: return "duplicate"
                case .conflict: return "conflict"
                case .rejected: return "rejected"
                default: return "other attempt"
                }
            default: return "other"
            }
        }
        #expect(kinds == ["signal:\"s0\"", "signal:\"s1\"", "signal:\"s2\"", "signal:\"s3\"", "signal:\"s4\"",
                          "signal:\"n0\"", "duplicate", "rejected", "conflict", "signal:\"n1\"", "signal:\"t0\""])
        #expect(logged.map(\.0.timestamp) == Array(repeating: 1_000_000, count: 5) + Array(repeating: 1_000_250, count: 6))
        // Every accepted key remembers the append time the log gave it.
        for (record, decoded) in logged {
            guard case .signal(let accepted) = decoded else { continue }
            #expect(snapshot.dedupe[accepted.signal.idempotencyKey]?.acceptedAt == record.timestamp, "key \(accepted.signal.idempotencyKey)")
        }
    }
}
