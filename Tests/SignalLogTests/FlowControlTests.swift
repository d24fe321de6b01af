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
        let crossing = send(at: 80)
        #expect(crossing.allAccepted)
        #expect(crossing.outcomes.first?.warning == Backpressure(depth: 80, capacity: 100), "the send that crossed 80 % says so")
        #expect(sender.flowWarningCount == 1)
        #expect(send(at: 90).warnings.isEmpty, "once per crossing")
        _ = send(at: 75)
        #expect(send(at: 85).warnings.isEmpty, "no new warning without dropping below 70 %")
        #expect(sender.flowWarningCount == 1)
        _ = send(at: 69)
        #expect(send(at: 81).warnings.map(\.target) == ["target"])
        #expect(sender.flowWarningCount == 2)
        let refused = send(at: 95)
        #expect(refused.refusedTargets == ["target"])
        #expect(refused.outcomes.first?.outcome == .refused(Backpressure(depth: 95, capacity: 100)))
        #expect(refused.refusedTargetsByCause == [.backpressure: ["target"]])
        #expect(send(at: 94).allAccepted, "accepts again once the queue drains below 95 %")
        #expect(target.received.load(ordering: .relaxed) == 8)
        #expect(metrics.value("signallog_flow_control_warnings_total", [("node", "sender")]) == 2)
        #expect(metrics.value("signallog_flow_control_refusals_total", [("node", "sender")]) == 1)
    }

    @Test func fullNodeRefusesTypedAndResumesAfterDraining() async throws {
        let senderDirectory = temporaryDirectory("flow"), targetDirectory = temporaryDirectory("flow")
        defer { removeDirectory(senderDirectory); removeDirectory(targetDirectory) }
        let latch = Latch()
        var options = testOptions()
        options.queueCapacity = 20
        let target = try SignalNode.open(nodeID: "busy", directory: targetDirectory, options: options, handlers: ["work": { _ in await latch.wait() }])
        let other = FakeTarget("idle", capacity: 20)
        let sender = try SignalNode.open(nodeID: "producer", directory: senderDirectory, options: testOptions())
        for index in 0..<19 { #expect(sender.send(makeSignal("s\(index)"), to: [target]).allAccepted) }
        let report = sender.send(makeSignal("late"), to: [target, other])
        #expect(report.refusedTargets == ["busy"], "the caller learns which target refused")
        #expect(report.outcomes.map(\.target) == ["busy", "idle"])
        // Receiving directly at capacity is refused with a typed backpressure reason.
        _ = try target.receive(makeSignal("fills"))
        #expect(try target.receive(makeSignal("over")) == .rejected(.backpressure(Backpressure(depth: 20, capacity: 20))))
        latch.open()
        try await target.waitUntilIdle()
        #expect(sender.send(makeSignal("resumed"), to: [target]).allAccepted)
        await target.gracefulShutdown(timeout: patience)
        await sender.gracefulShutdown(timeout: patience)
    }

    @Test func refusedTargetsAreGroupedByCause() async throws {
        let root = temporaryDirectory("flow")
        defer { removeDirectory(root) }
        let clock = ManualClock()
        var fullOptions = testOptions(clock: clock)
        fullOptions.queueCapacity = 1
        fullOptions.flowControl = FlowControlThresholds(warning: 0.8, refusal: 1.01)
        let full = try SignalNode.open(nodeID: "full", directory: root + "-full", options: fullOptions, handlers: [:])
        full.pause()
        _ = try full.receive(makeSignal("fills it"))
        var brokenOptions = testOptions(clock: clock)
        brokenOptions.circuitBreaker.failureThreshold = 1
        let broken = try SignalNode.open(nodeID: "broken", directory: root + "-broken", options: brokenOptions, handlers: [:])
        let stray = makeSignal("stray", type: "unhandled")
        _ = try broken.receive(stray)
        _ = try await broken.outcome(of: stray.id)
        #expect(broken.circuitState == .open)
        let closed = try SignalNode.open(nodeID: "closed", directory: root + "-closed", options: testOptions(clock: clock))
        await closed.gracefulShutdown(timeout: .zero)
        let fine = FakeTarget("fine", capacity: 100)
        let senderOptions = fullOptions
        let sender = try SignalNode.open(nodeID: "sender", directory: root + "-sender", options: senderOptions)

        let report = sender.send(makeSignal("hello"), to: [full, broken, closed, fine])
        #expect(report.refusedTargets == ["full", "broken", "closed"])
        #expect(report.refusedTargetsByCause == [.backpressure: ["full"], .circuitOpen: ["broken"], .shuttingDown: ["closed"]])
        #expect(report.outcomes[0].outcome == .delivered(.rejected(.backpressure(Backpressure(depth: 1, capacity: 1)))),
                "the target's own refusal carries the same backpressure type")
        #expect(report.warnings.map(\.target) == ["full"], "the full target also crossed the warning threshold")
        full.resume()
        for node in [full, broken, sender] { await node.gracefulShutdown(timeout: .seconds(5)) }
    }
}
