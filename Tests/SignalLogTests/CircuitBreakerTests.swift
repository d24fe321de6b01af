import SegmentLog
import Synchronization
import Testing
@testable import SignalLog

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test func breakerStateMachine() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(configuration: CircuitBreakerConfiguration(failureThreshold: 3, openTimeout: .seconds(30), halfOpenProbes: 2), clock: clock)
        for index in 0..<2 { #expect(breaker.admit("a\(index)") == .allowed); breaker.recordFailure("a\(index)") }
        breaker.recordSuccess("ok")  // a success resets the consecutive count
        for index in 0..<3 { #expect(breaker.admit("b\(index)") == .allowed); breaker.recordFailure("b\(index)") }
        #expect(breaker.currentState == .open)
        #expect(breaker.admit("c") == .rejected)
        clock.advance(byMicroseconds: 29_999_999)
        #expect(breaker.admit("c") == .rejected)
        clock.advance(byMicroseconds: 1)
        #expect(breaker.currentState == .halfOpen)
        #expect(breaker.admit("p1") == .probe)
        #expect(breaker.admit("p2") == .probe)
        #expect(breaker.admit("p3") == .rejected, "half-open admits exactly the configured probes")
        breaker.recordSuccess("not-a-probe")
        #expect(breaker.currentState == .halfOpen)
        breaker.recordFailure("p2")
        #expect(breaker.currentState == .open)
        clock.advance(byMicroseconds: 30_000_000)
        #expect(breaker.admit("p4") == .probe)
        breaker.recordSuccess("p4")
        #expect(breaker.currentState == .closed)
    }

    @Test func aHungProbeCannotWedgeIt() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(configuration: CircuitBreakerConfiguration(failureThreshold: 1, openTimeout: .seconds(30), halfOpenProbes: 1, probeTimeout: .seconds(10)), clock: clock)
        breaker.recordFailure("x")
        clock.advance(byMicroseconds: 30_000_000)
        #expect(breaker.admit("hung") == .probe)
        #expect(breaker.admit("other") == .rejected)
        clock.advance(byMicroseconds: 10_000_000)
        #expect(breaker.currentState == .open, "a probe past its timeout counts as failed")
        clock.advance(byMicroseconds: 30_000_000)
        #expect(breaker.admit("fresh") == .probe)
        breaker.recordSuccess("hung")  // a late outcome of the old probe changes nothing
        #expect(breaker.currentState == .halfOpen)
        breaker.recordSuccess("fresh")
        #expect(breaker.currentState == .closed)
    }

    @Test func nodeOpensRejectsWithoutCountingAndRecoversThroughProbes() async throws {
        let directory = temporaryDirectory("breaker")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.retry.maxAttempts = 1
        options.circuitBreaker = CircuitBreakerConfiguration(failureThreshold: 5, openTimeout: .seconds(30), halfOpenProbes: 2)
        let healthy = Atomic<Bool>(false)
        let gate = Gate()
        let node = try SignalNode.open(nodeID: "breaker-1", directory: directory, options: options, handlers: ["work": { _ in
            if !healthy.load(ordering: .acquiring) { throw TestFailure("down") }
            await gate.wait()
        }])
        _ = try node.receive(batch: (0..<5).map { makeSignal("f\($0)") })
        #expect(await eventually { node.queueMetrics().totals.failedAttempts == 5 && node.queueDepth == 0 })
        #expect(node.circuitState == .open)
        for _ in 0..<7 { #expect(try node.receive(makeSignal("r")) == .rejected(.circuitOpen)) }
        let metrics = node.queueMetrics()
        #expect(metrics.totals.failedAttempts == 5, "rejected calls are not failures")
        #expect(metrics.totals.rejected == 7)
        #expect(metrics.circuitState == .open)

        clock.advance(byMicroseconds: 30_000_000)
        healthy.store(true, ordering: .releasing)
        let results = try node.receive(batch: (0..<4).map { makeSignal("p\($0)", partition: "probe-\($0)") })
        #expect(results.filter(\.isAccepted).count == 2, "half-open admits exactly the configured probes")
        #expect(results.suffix(2).allSatisfy { $0 == .rejected(.circuitOpen) })
        gate.release()
        #expect(await eventually { node.circuitState == .closed })
        #expect(try node.receive(makeSignal("after")).isAccepted)
        await node.gracefulShutdown(timeout: patience)
        let rejected = try attempts(in: directory).filter { if case .rejected = $0.outcome { return true } else { return false } }
        #expect(rejected.count == 9)
    }

    @Test func failedProbeReopens() async throws {
        let directory = temporaryDirectory("breaker")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.retry.maxAttempts = 1
        options.circuitBreaker = CircuitBreakerConfiguration(failureThreshold: 2, openTimeout: .seconds(5))
        let node = try SignalNode.open(nodeID: "breaker-2", directory: directory, options: options, handlers: ["work": { _ in throw TestFailure() }])
        _ = try node.receive(batch: [makeSignal("a"), makeSignal("b")])
        #expect(await eventually { node.circuitState == .open && node.queueDepth == 0 })
        clock.advance(byMicroseconds: 5_000_000)
        #expect(node.circuitState == .halfOpen)
        #expect(try node.receive(makeSignal("probe")).isAccepted)
        #expect(await eventually { node.circuitState == .open })
        await node.gracefulShutdown(timeout: patience)
    }
}
