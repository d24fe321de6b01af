import Synchronization
import Testing
@testable import SignalLog

@Suite("Partition ordering")
struct PartitionTests {
    @Test func strictOrderPerPartitionUnderConcurrentProducers() async throws {
        let directory = temporaryDirectory("partition")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "part-1", directory: directory, options: testOptions(), handlers: ["work": { signal in
            if Int.random(in: 0..<8) == 0 { await Task.yield() }
            recorder.add(signal)
        }])
        let accepted = AcceptedSignals()
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<8 {
                group.addTask {
                    for index in 0..<100 {
                        // Producers share partitions, so acceptance order interleaves.
                        let signal = makeSignal("\(producer)-\(index)", partition: "p\(index % 4)")
                        if case .accepted(let sequence) = try! node.receive(signal) { accepted.add(sequence, signal) }
                    }
                }
            }
        }
        #expect(await eventually { recorder.count == 800 })
        let expected = Dictionary(grouping: accepted.all.sorted { $0.0 < $1.0 }.map(\.1), by: \.partitionKey).mapValues { $0.map(\.id) }
        let processed = Dictionary(grouping: recorder.signals, by: \.partitionKey).mapValues { $0.map(\.id) }
        #expect(processed == expected)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func partitionsProceedIndependently() async throws {
        let directory = temporaryDirectory("partition")
        defer { removeDirectory(directory) }
        let gate = Gate()
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "part-2", directory: directory, options: testOptions(), handlers: ["work": { signal in
            if signal.partitionKey == "blocked" { await gate.wait() }
            recorder.add(signal)
        }])
        _ = try node.receive(batch: (0..<3).map { makeSignal("b\($0)", partition: "blocked") } + (0..<5).map { makeSignal("f\($0)", partition: "free") })
        #expect(await eventually { recorder.count == 5 })
        #expect(recorder.signals.allSatisfy { $0.partitionKey == "free" })
        #expect(await eventually { node.queueMetrics().depthByPartition == ["blocked": 3] })
        gate.release()
        #expect(await eventually { recorder.count == 8 })
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func aRetriedSignalBlocksOnlyItsPartitionAndDeadLetteringUnblocksIt() async throws {
        let directory = temporaryDirectory("partition")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.retry = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(300), multiplier: 1, maxBackoff: .milliseconds(300))
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "part-3", directory: directory, options: options, handlers: ["work": { signal in
            if case .text("poison") = signal.content { throw TestFailure("poison") }
            recorder.add(signal)
        }])
        let poison = makeSignal("poison", partition: "A")
        let behind = makeSignal("behind", partition: "A")
        let others = (0..<5).map { makeSignal("b\($0)", partition: "B") }
        _ = try node.receive(batch: [poison, behind] + others)
        // Partition B runs while A's head waits for its retry on the clock.
        for signal in others { #expect(try await node.outcome(of: signal.id) == .processed(attempts: 1)) }
        await clock.waitForSleepers(1)
        #expect(!recorder.ids.contains(behind.id), "the partition waits while its head is retried")
        clock.advance(by: .milliseconds(300))
        await clock.waitForSleepers(1)
        #expect(!recorder.ids.contains(behind.id))
        clock.advance(by: .milliseconds(300))
        #expect(try await node.outcome(of: poison.id) == .deadLettered(reason: .processingFailed, error: "poison", attempts: 3))
        #expect(try await node.outcome(of: behind.id) == .processed(attempts: 1))
        #expect(recorder.ids.last == behind.id)
        #expect(node.deadLetters().map(\.signalID) == [poison.id])
        #expect(await node.gracefulShutdown(timeout: patience))
    }
}

final class AcceptedSignals: Sendable {
    private let entries = Mutex<[(UInt64, Signal)]>([])
    func add(_ sequence: UInt64, _ signal: Signal) { entries.withLock { $0.append((sequence, signal)) } }
    var all: [(UInt64, Signal)] { entries.withLock { $0 } }
}
