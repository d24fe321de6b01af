import Synchronization
import Testing
@testable import SignalLog

/// A target whose depth the test sets.
final class FakeTarget: SignalTarget {
    let nodeID: String
    let depth = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let queueCapacity: Int
    init(_ id: String, capacity: Int) { nodeID = id; queueCapacity = capacity }
    var queueDepth: Int { depth.load(ordering: .acquiring) }
    func receive(_ signal: Signal) throws -> ReceiveResult {
        received.add(1, ordering: .relaxed)
        return .accepted(sequence: 0)
    }
}

@Suite("Producer-side flow control")
struct FlowControlTests {
    @Test func warningOncePerCrossingWithHysteresisAndRefusalAt95() throws {
        let directory = temporaryDirectory("flow")
        defer { removeDirectory(directory) }
        let metrics = TestMetricsFactory()
        let sender = try SignalNode.open(nodeID: "sender", directory: directory, options: testOptions(metrics: metrics))
        let target = FakeTarget("target", capacity: 100)
        func send(at depth: Int) -> SendReport {
            target.depth.store(depth, ordering: .releasing)
            return sender.send(makeSignal(), to: [target])
        }
        #expect(send(at: 79).allAccepted)
        #expect(sender.flowWarningCount == 0)
        #expect(send(at: 80).allAccepted)
        #expect(sender.flowWarningCount == 1)
        _ = send(at: 90)
        _ = send(at: 75)
        _ = send(at: 85)
        #expect(sender.flowWarningCount == 1, "no new warning without dropping below 70 %")
        _ = send(at: 69)
        _ = send(at: 81)
        #expect(sender.flowWarningCount == 2)
        let refused = send(at: 95)
        #expect(refused.refusedTargets == ["target"])
        #expect(refused.outcomes.first?.outcome == .refused(depth: 95, capacity: 100))
        #expect(send(at: 94).allAccepted, "accepts again once the queue drains below 95 %")
        #expect(target.received.load(ordering: .relaxed) == 8)
        #expect(metrics.value("signallog_flow_control_warnings_total", [("node", "sender")]) == 2)
        #expect(metrics.value("signallog_flow_control_refusals_total", [("node", "sender")]) == 1)
    }

    @Test func fullNodeRefusesTypedAndResumesAfterDraining() async throws {
        let senderDirectory = temporaryDirectory("flow"), targetDirectory = temporaryDirectory("flow")
        defer { removeDirectory(senderDirectory); removeDirectory(targetDirectory) }
        let gate = Gate()
        var options = testOptions()
        options.queueCapacity = 20
        let target = try SignalNode.open(nodeID: "busy", directory: targetDirectory, options: options, handlers: ["work": { _ in await gate.wait() }])
        let other = FakeTarget("idle", capacity: 20)
        let sender = try SignalNode.open(nodeID: "producer", directory: senderDirectory, options: testOptions())
        for index in 0..<19 { #expect(sender.send(makeSignal("s\(index)"), to: [target]).allAccepted) }
        let report = sender.send(makeSignal("late"), to: [target, other])
        #expect(report.refusedTargets == ["busy"], "the caller learns which target refused")
        #expect(report.outcomes.map(\.target) == ["busy", "idle"])
        // Receiving directly at capacity is refused with a typed backpressure reason.
        _ = try target.receive(makeSignal("fills"))
        #expect(try target.receive(makeSignal("over")) == .rejected(.backpressure(depth: 20, capacity: 20)))
        gate.release()
        #expect(await eventually { target.queueDepth == 0 })
        #expect(sender.send(makeSignal("resumed"), to: [target]).allAccepted)
        await target.gracefulShutdown(timeout: patience)
        await sender.gracefulShutdown(timeout: patience)
    }
}
