import Foundation
import SegmentLog
import Synchronization
import Testing
@testable import SignalLog

/// Attempts, traces and replay entries as a library user reads them.
@Suite("Signal history")
struct HistoryTests {
    @Test func attemptsAndTraceComeFromTheLog() async throws {
        let directory = temporaryDirectory("history")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.retry.maxAttempts = 2
        let healthy = Atomic<Bool>(false)
        let node = try SignalNode.open(nodeID: "hist-1", directory: directory, options: options, handlers: ["work": { _ in
            if !healthy.load(ordering: .acquiring) { throw TestFailure("down") }
        }])
        var signal = makeSignal("traced", partition: "orders")
        signal.correlationID = "corr-7"
        var other = makeSignal("other", partition: "orders")
        other.correlationID = "corr-8"
        _ = try node.receive(batch: [signal, other])
        #expect(try await node.outcome(of: signal.id) == .deadLettered(reason: .processingFailed, error: "down", attempts: 2))
        _ = try await node.outcome(of: other.id)
        healthy.store(true, ordering: .releasing)
        #expect(try await node.reprocessDeadLetter(signal.id))

        let attempts = try node.attempts(of: signal.id)
        #expect(attempts.map(\.outcome) == [.failed("down"), .failed("down"), .processed])
        #expect(attempts.map(\.attempt) == [1, 2, 2], "a reprocess is attempt retry_count + 1")
        #expect(attempts.allSatisfy { $0.nodeID == "hist-1" && $0.signalID == signal.id })
        #expect(try node.attempts(of: signal.id, partition: "orders") == attempts, "the partition index finds the same")
        #expect(try node.attempts(of: signal.id, partition: "elsewhere").isEmpty)

        let trace = try node.trace(correlationID: "corr-7")
        #expect(trace.isComplete)
        #expect(trace.entries.map(\.record.kind) == [1, 2, 2, 3, 2, 4], "signal, two failures, dlq-move, processed, dlq-resolve")
        #expect(trace.signalIDs == [signal.id])
        #expect(trace.nodeIDs == ["hist-1"])
        #expect(trace.attempts == attempts)
        #expect(try node.trace(correlationID: "corr-8").signalIDs == [other.id])
        await node.gracefulShutdown(timeout: .seconds(5))
    }

    @Test func aTraceListsWhatItCouldNotRead() async throws {
        let directory = temporaryDirectory("history")
        defer { removeDirectory(directory) }
        var first = makeSignal("first")
        first.correlationID = "corr-d"
        var second = makeSignal("second")
        second.correlationID = "corr-d"
        do {
            let node = try SignalNode.open(nodeID: "hist-2", directory: directory, options: testOptions(), handlers: ["work": { _ in }])
            _ = try node.receive(first)
            _ = try await node.outcome(of: first.id)
            _ = try node.receive(second)
            _ = try await node.outcome(of: second.id)
            await node.gracefulShutdown(timeout: .seconds(5))
        }
        // Flip a byte inside the first batch (after the 40-byte segment header and the 48-byte batch header).
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted().first)
        let path = directory + "/" + segment
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[40 + 48 + 4] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let log = try SegmentLog.openReadOnly(directory: directory)
        defer { try? log.close() }
        let history = try SignalHistory.read(log, .correlationID("corr-d"))
        #expect(!history.isComplete)
        guard case .damage(.corruption)? = history.gaps.first else {
            Issue.record("expected the damaged batch in the gaps, got \(history.gaps)")
            return
        }
        #expect(history.signalIDs == [first.id, second.id], "the records after the damage are still read")
        #expect(!history.entries.contains { if case .signal(let record) = $0.decoded { record.signal.id == first.id } else { false } },
                "the first signal's record was in the damaged batch")
    }

    @Test func replayEntriesSayWhatTheyAre() async throws {
        let directory = temporaryDirectory("history")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.retry.maxAttempts = 1
        let node = try SignalNode.open(nodeID: "hist-3", directory: directory, options: options, handlers: ["work": { _ in throw TestFailure("no") }])
        var signal = makeSignal("x", partition: "p")
        signal.correlationID = "corr-r"
        signal.createdAt = clock.nowMicroseconds() - 5_000_000
        _ = try node.receive(signal)
        _ = try await node.outcome(of: signal.id)
        let entries = try node.replay(ReplayQuery(includeAttempts: true, includeDeadLetterRecords: true)).collect()
        #expect(entries.map(\.kind) == [.signal, .attempt, .deadLetterMove])
        #expect(entries.map(\.sequence) == [0, 1, 2])
        #expect(entries.allSatisfy { $0.signalID == signal.id && $0.correlationID == "corr-r" })
        #expect(entries.allSatisfy { $0.appendedAt == clock.nowMicroseconds() })
        #expect(entries.map(\.eventTime) == [signal.createdAt, clock.nowMicroseconds(), clock.nowMicroseconds()],
                "a signal's own time, an attempt's start, a move's time")
        await node.gracefulShutdown(timeout: .seconds(5))
    }
}
