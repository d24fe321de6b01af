import SignalLog
import Synchronization
import Testing

/// The node as its users meet it: awaiting outcomes, error accounting,
/// what the breaker counts, pausing, and time driven by a manual clock.
/// These tests use `import SignalLog` alone (the clock comes with it) and
/// never sleep: they await outcomes and move the clock.
@Suite("Node outcomes")
struct NodeOutcomeTests {
    @Test func awaitingEachOutcome() async throws {
        let directory = temporaryDirectory("outcome")
        defer { removeDirectory(directory) }
        let failOnce = Mutex<Set<String>>([])
        let node = try SignalNode.open(nodeID: "outcome-1", directory: directory, options: testOptions(), handlers: ["work": { signal in
            if case .text("broken") = signal.content { throw TestFailure("broken for good") }
            if failOnce.withLock({ $0.remove(signal.id) != nil }) { throw TestFailure("first try fails") }
        }])
        let fine = makeSignal("fine", partition: "p1")
        let flaky = makeSignal("flaky", partition: "p2")
        failOnce.withLock { _ = $0.insert(flaky.id) }
        let broken = makeSignal("broken", partition: "p3")
        let stranger = makeSignal("who?", type: "nobody-handles-this", partition: "p4")
        let results = try node.receive(batch: [fine, flaky, broken, stranger])
        #expect(results.allSatisfy { $0.isAccepted })

        #expect(try await node.outcome(of: fine.id) == .processed(attempts: 1))
        let retried = try await node.outcome(of: flaky.id)
        #expect(retried == .processed(attempts: 2) && retried.wasRetried)
        #expect(try await node.outcome(of: broken.id) == .deadLettered(reason: .processingFailed, error: "broken for good", attempts: 3))
        let unknown = try await node.outcome(of: stranger.id)
        guard case .deadLettered(.unknownSignalType, _, 0) = unknown else {
            Issue.record("expected a dead letter for the unknown type, got \(unknown)")
            return
        }
        try await node.waitUntilIdle()
        #expect(node.queueDepth == 0)
        // Asked again after the fact: remembered.
        #expect(try await node.outcome(of: fine.id) == .processed(attempts: 1))
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
    }

    @Test func waitersLearnOfShutdown() async throws {
        let directory = temporaryDirectory("outcome")
        defer { removeDirectory(directory) }
        let latch = Latch()
        let clock = ManualClock()
        let node = try SignalNode.open(nodeID: "outcome-2", directory: directory, options: testOptions(clock: clock), handlers: ["work": { _ in
            await latch.wait()
        }])
        let stuck = makeSignal("stuck")
        _ = try node.receive(stuck)
        await latch.untilWaiting(1)
        let outcome = Task { try await node.outcome(of: stuck.id) }
        let idle = Task { try await node.waitUntilIdle() }
        // The shutdown deadline is on the node's clock: it passes when the clock moves.
        let shutdown = Task { await node.gracefulShutdown(timeout: .seconds(5)) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        #expect(await shutdown.value == false, "the handler was still running at the deadline")
        await #expect(throws: SignalNodeError.closed) { try await outcome.value }
        await #expect(throws: SignalNodeError.closed) { try await idle.value }
        latch.open()
    }

    @Test func errorsCoverEveryFailedOutcomeByCause() async throws {
        let directory = temporaryDirectory("errors")
        defer { removeDirectory(directory) }
        let factory = TestMetricsFactory()
        var options = testOptions(metrics: factory)
        options.retry.maxAttempts = 2
        options.circuitBreaker.failureThreshold = 100
        let node = try SignalNode.open(nodeID: "errors-1", directory: directory, options: options, handlers: ["work": { signal in
            if case .text("bad") = signal.content { throw TestFailure("bad") }
        }])
        let signals = [makeSignal("ok"), makeSignal("bad"), makeSignal("x", type: "unknown"), makeSignal("y", schema: "9.9"),
                       makeSignal("z", schema: ""), makeSignal("ok again")]
        _ = try node.receive(batch: signals)
        for signal in signals { _ = try await node.outcome(of: signal.id) }
        try await node.waitUntilIdle()

        let expected: [FailureCause: UInt64] = [.handlerFailed: 2, .unknownSignalType: 1, .unsupportedSchemaVersion: 1,
                                                .missingSchemaVersion: 1, .upcastFailed: 0]
        let metrics = node.queueMetrics()
        #expect(metrics.errorCount == 5)
        #expect(metrics.errorsByCause == expected)
        #expect(abs(metrics.errorRate - 5.0 / 7.0) < 1e-9, "5 errors against 2 processed")
        let labels = [("node", "errors-1")]
        for (cause, count) in expected where count > 0 {
            #expect(factory.value("signallog_errors_total", labels + [("cause", cause.rawValue)]) == Double(count))
        }
        #expect(factory.value("signallog_error_rate", labels).map { abs($0 - 5.0 / 7.0) < 1e-9 } == true)

        // Rebuilt from the records alone (no marker yet) and from the clean-shutdown marker.
        #expect(try SignalLogInspection(log: node.log).totals.errorsByCause == expected)
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
        let reopened = try SignalNode.open(nodeID: "errors-1", directory: directory, options: options)
        #expect(reopened.queueMetrics().errorsByCause == expected)
        // A failed reprocess is a failed outcome too; a successful one is not.
        let unknown = signals[2]
        #expect(try await reopened.reprocessDeadLetter(unknown.id) == false)
        #expect(reopened.queueMetrics().errorsByCause[.unknownSignalType] == 2)
        await reopened.gracefulShutdown(timeout: .seconds(5))
        let again = try SignalNode.open(nodeID: "errors-1", directory: directory, options: options)
        #expect(again.queueMetrics().errorsByCause[.unknownSignalType] == 2)
        await again.gracefulShutdown(timeout: .seconds(5))
    }

    @Test func unknownTypesOpenTheBreakerByDefault() async throws {
        let directory = temporaryDirectory("breaker-count")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: "count-1", directory: directory, options: testOptions(), handlers: [:])
        let strays = (0..<6).map { makeSignal("s\($0)", type: "unhandled") }
        for signal in strays.prefix(5) {
            #expect(try node.receive(signal).isAccepted)
            _ = try await node.outcome(of: signal.id)
        }
        #expect(node.circuitState == .open, "five failed processing outcomes open it, as in the original")
        #expect(try node.receive(strays[5]) == .rejected(.circuitOpen))
        let metrics = node.queueMetrics()
        #expect(metrics.errorCount == 5, "the breaker's own rejection is not a failure")
        #expect(metrics.totals.rejected == 1)
        await node.gracefulShutdown(timeout: .seconds(5))
    }

    @Test func theBreakerCountsOnlyTheCausesItIsToldTo() async throws {
        let directory = temporaryDirectory("breaker-count")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.circuitBreaker.countedFailures = [.handlerFailed]
        let node = try SignalNode.open(nodeID: "count-2", directory: directory, options: options, handlers: [:])
        for index in 0..<6 {
            let signal = makeSignal("s\(index)", type: "unhandled")
            #expect(try node.receive(signal).isAccepted)
            _ = try await node.outcome(of: signal.id)
        }
        #expect(node.circuitState == .closed, "unknown types are not counted by this breaker")
        #expect(node.queueMetrics().errorCount == 6, "they are still errors")
        await node.gracefulShutdown(timeout: .seconds(5))
    }

    @Test func theBreakerOpensWithDefaultRetriesOnTheManualClock() async throws {
        let directory = temporaryDirectory("breaker-clock")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = SignalNodeOptions()
        options.clock = clock
        options.logger.logLevel = .critical
        #expect(options.retry == RetryPolicy(), "the default retry policy: 3 attempts, 100 ms then 200 ms")
        let node = try SignalNode.open(nodeID: "clock-1", directory: directory, options: options, handlers: ["work": { _ in
            throw TestFailure("down")
        }])
        let signals = (0..<5).map { makeSignal("s\($0)", partition: "p\($0)") }
        _ = try node.receive(batch: signals)
        // Each partition's first attempt fails, then its retry waits on the clock.
        await clock.waitForSleepers(5)
        #expect(node.circuitState == .open)
        #expect(try node.receive(makeSignal("late")) == .rejected(.circuitOpen))
        clock.advance(by: .milliseconds(100))
        await clock.waitForSleepers(5)
        clock.advance(by: .milliseconds(200))
        for signal in signals {
            #expect(try await node.outcome(of: signal.id) == .deadLettered(reason: .processingFailed, error: "down", attempts: 3))
        }
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
    }

    @Test func pauseAndResume() async throws {
        let directory = temporaryDirectory("pause")
        defer { removeDirectory(directory) }
        let latch = Latch()
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "pause-1", directory: directory, options: testOptions(), handlers: ["work": { signal in
            if case .text("first") = signal.content { await latch.wait() }
            recorder.add(signal)
        }])
        let first = makeSignal("first")
        _ = try node.receive(first)
        await latch.untilWaiting(1)
        node.pause()
        #expect(node.isPaused)
        let rest = (0..<3).map { makeSignal("n\($0)") }
        #expect(try node.receive(batch: rest).allSatisfy { $0.isAccepted }, "a paused node still accepts")
        latch.open()
        #expect(try await node.outcome(of: first.id) == .processed(attempts: 1), "the running signal finishes")
        #expect(node.queueDepth == 3)
        #expect(recorder.ids == [first.id])
        node.resume()
        #expect(!node.isPaused)
        try await node.waitUntilIdle()
        #expect(recorder.ids == [first.id] + rest.map(\.id), "resumed in order")
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
    }

    @Test func anOutcomeFinishedBeforeAnyoneAskedComesFromTheLog() async throws {
        let directory = temporaryDirectory("outcome")
        defer { removeDirectory(directory) }
        let failOnce = Mutex<Set<String>>([])
        let node = try SignalNode.open(nodeID: "outcome-3", directory: directory, options: testOptions(), handlers: ["work": { signal in
            if failOnce.withLock({ $0.remove(signal.id) != nil }) { throw TestFailure("first try fails") }
        }])
        let flaky = makeSignal("flaky"), fine = makeSignal("fine"), stray = makeSignal("stray", type: "unhandled")
        failOnce.withLock { _ = $0.insert(flaky.id) }
        _ = try node.receive(batch: [flaky, fine, stray])
        try await node.waitUntilIdle()
        // Nobody awaited these while they ran: the node kept no outcomes, the log has them.
        #expect(try await node.outcome(of: flaky.id) == .processed(attempts: 2))
        #expect(try await node.outcome(of: fine.id) == .processed(attempts: 1))
        guard case .deadLettered(.unknownSignalType, _, 0) = try await node.outcome(of: stray.id) else {
            Issue.record("expected the unknown type's dead letter")
            return
        }
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
    }
}
