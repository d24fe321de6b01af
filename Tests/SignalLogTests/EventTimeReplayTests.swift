import Foundation
import SegmentLog
import TestSupport
import Testing
@testable import SignalLog

/// Replay by the signals' own timestamps: a node stores each signal's
/// created-at as its record's event time, and `replay(by: .event)` selects
/// by it exactly, whatever order the signals arrived in.
@Suite struct EventTimeReplayTests {
    @Test func eventTimeReplayFindsExactlyTheSignalsCreatedInTheWindow() async throws {
        let directory = temporaryDirectory("event-replay")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let node = try SignalNode.open(nodeID: "event-1", directory: directory, options: testOptions(clock: clock), handlers: ["work": { _ in }])
        // Yesterday's signals, imported today, out of order by up to 5 minutes.
        var random = SplitMix64(seed: 14)
        let base: Int64 = 1_600_000_000_000_000
        var signals: [Signal] = []
        for i in 0..<300 {
            var signal = makeSignal("s\(i)", partition: "p\(i % 7)")
            signal.createdAt = base + Int64(i) * 1_000_000 + Int64.random(in: -300_000_000...300_000_000, using: &random)
            signals.append(signal)
        }
        // Both ways in: batches and single signals.
        for chunk in stride(from: 0, to: 200, by: 20) {
            _ = try node.receive(batch: Array(signals[chunk..<chunk + 20]))
            clock.advance(byMicroseconds: 1_000)
        }
        for signal in signals[200...] { _ = try node.receive(signal) }

        let from = base + 100_000_000, to = base + 160_000_000
        let expected = signals.filter { $0.createdAt >= from && $0.createdAt < to }.map(\.id)
        #expect(expected.count > 10)
        let byEvent = try node.replay(from: from, to: to, by: .event).collect().compactMap { entry -> Signal? in
            guard case .signal(let replayed) = entry else { return nil }
            return replayed.signal
        }
        #expect(Set(byEvent.map(\.id)) == Set(expected))
        #expect(byEvent.count == expected.count)
        #expect(byEvent.allSatisfy { $0.createdAt >= from && $0.createdAt < to })
        // With a partition too.
        let inPartition = try node.replay(from: from, to: to, partition: "p3", by: .event).collect().map(\.signalID)
        #expect(Set(inPartition) == Set(signals.filter { $0.createdAt >= from && $0.createdAt < to && $0.partitionKey == "p3" }.map(\.id)))
        // The same window by append time holds none of them: they were stored today.
        #expect(try node.replay(from: from, to: to).collect().isEmpty)
        await node.gracefulShutdown(timeout: patience)

        // After a restart the index files answer the same.
        let log = try SegmentLog.openReadOnly(directory: directory)
        let reopened = try SignalReplay(log: log, query: ReplayQuery(from: from, to: to, timeAxis: .event)).collect().map(\.signalID)
        #expect(Set(reopened) == Set(expected))
        let stored = try readSignalRecords(log)
        #expect(stored.allSatisfy { $0.eventTime != nil })
    }

    private func readSignalRecords(_ log: SegmentLog) throws -> [LogRecord] {
        let reader = log.read(LogQuery(kinds: [SignalRecordKind.signal.rawValue]))
        var records: [LogRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }
}
