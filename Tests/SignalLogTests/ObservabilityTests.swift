import SegmentLog
import Synchronization
import Testing
@testable import SignalLog

@Suite("Observability")
struct ObservabilityTests {
    @Test func queueMetricsReportDepthAgesAndRates() async throws {
        let directory = temporaryDirectory("metrics")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        let gate = Gate()
        let failOnce = Atomic<Bool>(true)
        let node = try SignalNode.open(nodeID: "obs-1", directory: directory, options: testOptions(clock: clock), handlers: ["work": { signal in
            await gate.wait()
            if signal.partitionKey == "A", failOnce.exchange(false, ordering: .acquiringAndReleasing) { throw TestFailure() }
        }])
        _ = try node.receive(batch: (0..<3).map { makeSignal("a\($0)", partition: "A") })
        clock.advance(byMicroseconds: 4_000_000)
        _ = try node.receive(batch: (0..<2).map { makeSignal("b\($0)", partition: "B") })
        clock.advance(byMicroseconds: 6_000_000)
        var metrics = node.queueMetrics()
        #expect(metrics.queueDepth == 5)
        #expect(metrics.depthByPartition == ["A": 3, "B": 2])
        #expect(metrics.maxMessageAge == 10)
        #expect(abs(metrics.meanMessageAge - (3 * 10 + 2 * 6) / 5.0) < 1e-9)
        #expect(metrics.circuitState == .closed)
        gate.release()
        #expect(await eventually { node.queueDepth == 0 })
        metrics = node.queueMetrics()
        #expect(metrics.totals.processed == 5)
        #expect(metrics.totals.failedAttempts == 1)
        #expect(abs(metrics.errorRate - 1.0 / 6.0) < 1e-9)
        #expect(metrics.throughputPerSecond == 0.5, "5 processed in the last 10 s window")
        #expect(metrics.deadLetterCount == 0)
        #expect(metrics.maxMessageAge == 0 && metrics.meanMessageAge == 0)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func publishedThroughSwiftMetrics() async throws {
        let directory = temporaryDirectory("metrics")
        defer { removeDirectory(directory) }
        let factory = TestMetricsFactory()
        var options = testOptions(metrics: factory)
        options.retry.maxAttempts = 1
        let node = try SignalNode.open(nodeID: "obs-2", directory: directory, options: options, handlers: ["work": { signal in
            if case .text("bad") = signal.content { throw TestFailure() }
        }])
        let first = makeSignal("ok", key: "k1")
        _ = try node.receive(batch: [first, makeSignal("ok", key: "k1"), makeSignal("bad"), makeSignal("x", type: "unknown"), makeSignal("ok2")])
        #expect(await eventually { node.queueDepth == 0 })
        _ = node.queueMetrics()
        let node2 = [("node", "obs-2")]
        #expect(factory.value("signallog_signals_received_total", node2) == 4)
        #expect(factory.value("signallog_signals_processed_total", node2) == 2)
        #expect(factory.value("signallog_processing_failures_total", node2) == 1)
        #expect(factory.value("signallog_duplicates_total", node2) == 1)
        #expect(factory.value("signallog_dead_lettered_total", node2 + [("reason", "processing_failed")]) == 1)
        #expect(factory.value("signallog_dead_lettered_total", node2 + [("reason", "unknown_signal_type")]) == 1)
        #expect(factory.value("signallog_processing_duration_seconds", node2) == 3, "one timing per handler run")
        #expect(factory.value("signallog_queue_depth", node2) == 0)
        #expect(factory.value("signallog_dead_letter_queue_size", node2) == 2)
        #expect(factory.value("signallog_circuit_breaker_state", node2) == 0)
        // Errors: the failed attempt and the unknown type; two processed.
        #expect(factory.value("signallog_errors_total", node2 + [("cause", "handler_failed")]) == 1)
        #expect(factory.value("signallog_errors_total", node2 + [("cause", "unknown_signal_type")]) == 1)
        #expect(factory.value("signallog_error_rate", node2).map { abs($0 - 2.0 / 4.0) < 1e-9 } == true)
        await node.gracefulShutdown(timeout: patience)
    }
}

@Suite("Schema versioning")
struct SchemaTests {
    static func registry() -> SchemaRegistry {
        var registry = SchemaRegistry()
        registry.addUpcaster(from: "1.0", to: "1.1") { signal in
            var upcast = signal
            upcast.extraFields["region"] = .string("unknown")
            return upcast
        }
        return registry
    }

    @Test func upcastersApplyToLiveSignals() async throws {
        let directory = temporaryDirectory("schema")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.schemas = Self.registry()
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "schema-1", directory: directory, options: options, handlers: ["work": { recorder.add($0) }])
        _ = try node.receive(batch: [makeSignal("old", schema: "1.0"), makeSignal("new", schema: "1.1")])
        #expect(await eventually { recorder.count == 2 })
        #expect(recorder.signals.map(\.schemaVersion) == ["1.1", "1.1"])
        #expect(recorder.signals[0].extraFields["region"] == .string("unknown"))
        #expect(recorder.signals[1].extraFields["region"] == nil)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func upcastOnReplay() async throws {
        let directory = temporaryDirectory("schema")
        defer { removeDirectory(directory) }
        let stored = makeSignal("old", schema: "1.0")
        do {
            let node = try SignalNode.open(nodeID: "schema-2", directory: directory, options: testOptions(), handlers: ["work": { _ in }])
            _ = try node.receive(stored)
            await node.gracefulShutdown(timeout: patience)
        }
        var options = testOptions()
        options.schemas = Self.registry()
        let node = try SignalNode.open(nodeID: "schema-2", directory: directory, options: options)
        let replayed = try node.replay().collect()
        guard case .signal(let entry) = replayed.first else { Issue.record("nothing replayed"); return }
        #expect(entry.signal.schemaVersion == "1.1")
        #expect(entry.signal.extraFields["region"] == .string("unknown"))
        guard case .signal(let raw) = try node.replay(ReplayQuery(upcast: false)).collect().first else { Issue.record("nothing replayed"); return }
        #expect(raw.signal == stored, "the log keeps the signal as accepted")
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func failingUpcasterDeadLetters() async throws {
        let directory = temporaryDirectory("schema")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.schemas.addUpcaster(from: "0.9", to: "1.0") { _ in throw TestFailure("cannot convert") }
        let node = try SignalNode.open(nodeID: "schema-3", directory: directory, options: options, handlers: ["work": { _ in }])
        _ = try node.receive(makeSignal("ancient", schema: "0.9"))
        #expect(await eventually { node.deadLetters().count == 1 })
        #expect(node.deadLetters().first?.reason == .upcastFailed)
        await node.gracefulShutdown(timeout: patience)
    }
}

@Suite("Distributed tracing")
struct TracingTests {
    @Test func correlationIDSurvivesRetriesDeadLetteringReprocessingAndReplay() async throws {
        let directory = temporaryDirectory("trace")
        defer { removeDirectory(directory) }
        let clock = ManualClock()
        var options = testOptions(clock: clock)
        options.retry.maxAttempts = 2
        let healthy = Atomic<Bool>(false)
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "trace-node", directory: directory, options: options, handlers: ["work": { signal in
            recorder.add(signal)
            if !healthy.load(ordering: .acquiring) { throw TestFailure("flaky") }
        }])
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        var signal = makeSignal("traced")
        signal.correlationID = "corr-42"
        signal.traceparent = traceparent
        _ = try node.receive(signal)
        #expect(await eventually { node.deadLetters().count == 1 })
        healthy.store(true, ordering: .releasing)
        #expect(try await node.reprocessDeadLetter(signal.id))

        #expect(recorder.signals.map(\.processingAttempts.count) == [0, 1, 0])
        let history = recorder.signals[1].processingAttempts[0]
        #expect(history.nodeID == "trace-node" && history.outcome == .failed("flaky") && history.startedAt == clock.nowMicroseconds())
        #expect(recorder.signals.allSatisfy { $0.correlationID == "corr-42" && $0.traceparent == traceparent })

        let story = try node.replay(ReplayQuery(includeAttempts: true, includeDeadLetterRecords: true)).collect()
        #expect(story.count == 6, "signal, two failed attempts, dlq-move, processed attempt, dlq-resolve")
        for entry in story {
            switch entry {
            case .signal(let replayed): #expect(replayed.correlationID == "corr-42")
            case .attempt(let attempt, _, _):
                #expect(attempt.correlationID == "corr-42")
                #expect(attempt.nodeID == "trace-node")
                #expect(attempt.duration >= 0)
            case .deadLetterMove(let move, _, _): #expect(move.correlationID == "corr-42")
            case .deadLetterResolve(let resolve, _, _): #expect(resolve.correlationID == "corr-42")
            }
        }
        let outcomes = story.compactMap { entry -> AttemptOutcome? in
            if case .attempt(let attempt, _, _) = entry { return attempt.outcome }
            return nil
        }
        #expect(outcomes == [.failed("flaky"), .failed("flaky"), .processed])
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func invalidTraceparentIsRejected() async throws {
        let directory = temporaryDirectory("trace")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: "trace-2", directory: directory, options: testOptions(), handlers: ["work": { _ in }])
        var signal = makeSignal()
        signal.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"
        guard case .rejected(.invalidSignal(let reason)) = try node.receive(signal) else { Issue.record("accepted"); return }
        #expect(reason.contains("parent-id"))
        await node.gracefulShutdown(timeout: patience)
    }
}
