import SegmentLog
import Testing
@testable import SignalLog

@Suite("Read-only inspection")
struct InspectionTests {
    @Test func rebuildsWhatANodeRebuildsWithoutTheWriterLock() async throws {
        let directory = temporaryDirectory("inspection")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let handled = Recorder()
        do {
            let node = try SignalNode.open(nodeID: "in-1", directory: directory, options: testOptions(clock: clock), handlers: ["work": { handled.add($0) }])
            _ = try node.receive(batch: (0..<5).map { makeSignal("done \($0)", key: "done-\($0)", partition: "p") })
            _ = try node.receive(makeSignal("nobody handles this", type: "unknown", key: "dead"))
            #expect(await eventually { handled.count == 5 && node.deadLetters().count == 1 })
            #expect(await node.gracefulShutdown(timeout: patience))
        }
        var acceptOnly = testOptions(clock: clock)
        acceptOnly.processing = false
        let waiting = (0..<3).map { makeSignal("waiting \($0)", key: "wait-\($0)", partition: $0 == 1 ? "q" : "p") }
        let expected: ProjectionSnapshot
        let expectedDeadLetters: [DeadLetter]
        do {
            let node = try SignalNode.open(nodeID: "in-2", directory: directory, options: acceptOnly)
            _ = try node.receive(batch: waiting)
            expected = node.projectionSnapshot()
            expectedDeadLetters = node.deadLetters()
            #expect(await node.gracefulShutdown(timeout: .zero) == false)
        }

        let log = try SegmentLog.openReadOnly(directory: directory)
        defer { try? log.close() }
        let inspection = try SignalLogInspection(log: log, now: clock.nowMicroseconds())
        #expect(inspection.report.cleanShutdown)
        #expect(inspection.report.markerNodeID == "in-2")
        #expect(inspection.report.undecodableRecords == 0)
        #expect(try inspection.pendingSignals(in: log).map(\.signal.id) == waiting.map(\.id), "pending in acceptance order")
        #expect(inspection.pendingByPartition == ["p": 2, "q": 1])
        #expect(inspection.sortedDeadLetters == expectedDeadLetters)
        #expect(inspection.sortedDeadLetters.first?.reason == .unknownSignalType)
        #expect(inspection.totals == expected.totals)
        #expect(inspection.dedupeKeyCount == expected.dedupe.count)
        #expect(inspection.hasSignals)

        let dlqOnly = try SignalLogInspection(log: log, now: clock.nowMicroseconds(), scope: .deadLetters)
        #expect(dlqOnly.sortedDeadLetters == expectedDeadLetters)

        // Past the TTL the dedupe window is empty; the rest is unchanged.
        let later = try SignalLogInspection(log: log, now: clock.nowMicroseconds() + 301_000_000)
        #expect(later.dedupeKeyCount == 0)
        #expect(later.pending.count == 3)
    }

    @Test func skipsAndCountsRecordsItCannotDecodeWhereANodeRefuses() async throws {
        let directory = temporaryDirectory("inspection")
        defer { removeDirectory(directory) }
        let signal = makeSignal("kept", key: "kept")
        do {
            let log = try SegmentLog.open(directory: directory)
            try log.append(kind: SignalRecordKind.signal.rawValue, partition: signal.partitionKey, payload: SignalRecord(signal: signal).encode())
            try log.append(kind: SignalRecordKind.attempt.rawValue, partition: signal.partitionKey, payload: [0xFF, 0x01])
            try log.close()
        }
        #expect(throws: SignalNodeError.self) { try SignalNode.open(nodeID: "in-3", directory: directory, options: testOptions()) }
        let log = try SegmentLog.openReadOnly(directory: directory)
        defer { try? log.close() }
        let inspection = try SignalLogInspection(log: log)
        #expect(inspection.report.undecodableRecords == 1)
        #expect(try inspection.pendingSignals(in: log).map(\.signal.id) == [signal.id])
        #expect(!inspection.report.cleanShutdown)
    }
}
