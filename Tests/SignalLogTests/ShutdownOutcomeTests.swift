import SegmentLog
import Synchronization
import Testing
@testable import SignalLog

@Suite("Shutdown writes finished work")
struct ShutdownOutcomeTests {
    /// A worker batches the attempt records of a run; a handler still
    /// running at shutdown must not keep the finished ones before it out of
    /// the log, or they are processed again after reopen.
    @Test func outcomesHeldByAWorkerAreWrittenBeforeTheMarker() async throws {
        let directory = temporaryDirectory("shutdown-outcomes")
        defer { removeDirectory(directory) }
        let signals = (0..<10).map { makeSignal("s\($0)", partition: "one") }
        let lastID = signals.last!.id
        let gate = Gate()
        let entered = Atomic<Bool>(false)
        let calls = Recorder()
        do {
            let node = try SignalNode.open(nodeID: "so-1", directory: directory, options: testOptions(), handlers: ["work": { signal in
                if signal.id == lastID {
                    entered.store(true, ordering: .releasing)
                    await gate.wait()
                }
                calls.add(signal)
            }])
            _ = try node.receive(batch: signals)
            #expect(await eventually { calls.count == 9 && entered.load(ordering: .acquiring) })
            #expect(await node.gracefulShutdown(timeout: .zero) == false)
        }
        let written = try attempts(in: directory).filter { $0.outcome == .processed }.map(\.signalID)
        #expect(written == signals.dropLast().map(\.id), "the nine finished signals are recorded before the marker")
        guard case .marker(let marker) = try records(in: directory).last?.1 else { Issue.record("no marker at the end"); return }
        #expect(marker.type == .cleanShutdown)
        gate.release()  // the held handler finishes after close: its outcome is not recorded

        let node = try SignalNode.open(nodeID: "so-1", directory: directory, options: testOptions(), handlers: ["work": { calls.add($0) }])
        #expect(node.startup.cleanShutdown)
        #expect(node.startup.pendingSignals == 1)
        #expect(await eventually { calls.ids.filter { $0 == lastID }.count == 2 })
        #expect(await node.gracefulShutdown(timeout: patience))
        var callCounts: [String: Int] = [:]
        for id in calls.ids { callCounts[id, default: 0] += 1 }
        for signal in signals.dropLast() { #expect(callCounts[signal.id] == 1, "\(signal.id) was handled \(callCounts[signal.id] ?? 0) times") }
        var processed: [String: Int] = [:]
        for attempt in try attempts(in: directory) where attempt.outcome == .processed { processed[attempt.signalID, default: 0] += 1 }
        #expect(processed == Dictionary(uniqueKeysWithValues: signals.map { ($0.id, 1) }))
    }

    /// A worker whose handler finishes after shutdown sealed its outcomes
    /// stops without writing (the log is closed) and leaves the signal pending.
    @Test func sealedOutcomesRefuseLaterWork() {
        let outcomes = WorkerOutcomes(partition: HashedString("p"))
        var one = OutcomeBuffer()
        one.finished = 1
        one.processed = 1
        #expect(outcomes.add(one))
        #expect(outcomes.finished == 1)
        let sealed = outcomes.seal()
        #expect(sealed.finished == 1 && sealed.processed == 1)
        #expect(outcomes.add(one) == false)
        #expect(outcomes.take() == nil)
        #expect(outcomes.finished == 1, "sealed outcomes still head the queue until shutdown writes them")
        outcomes.removed(1)
        #expect(outcomes.finished == 0)
    }

    /// Outcomes taken for writing keep their signals counted as finished
    /// until the writer removes them from the queue: a worker looking for
    /// its next signal in between must not run them again.
    @Test func takenOutcomesCountAsFinishedUntilRemoved() {
        let outcomes = WorkerOutcomes(partition: HashedString("p"))
        var two = OutcomeBuffer()
        two.finished = 2
        two.processed = 2
        #expect(outcomes.add(two))
        let taken = outcomes.take()
        #expect(taken?.finished == 2)
        #expect(outcomes.finished == 2)
        #expect(outcomes.isEmpty)
        var third = OutcomeBuffer()
        third.finished = 1
        #expect(outcomes.add(third))
        #expect(outcomes.finished == 3)
        outcomes.removed(2)
        #expect(outcomes.finished == 1)

        // A refused write puts the outcomes back ahead of newer ones.
        let again = outcomes.take()!
        #expect(outcomes.finished == 1)
        outcomes.putBack(again)
        #expect(outcomes.finished == 1)
        #expect(outcomes.take()?.finished == 1)
    }
}
