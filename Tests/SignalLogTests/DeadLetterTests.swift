import Synchronization
import Testing
@testable import SignalLog

@Suite("Dead letter queue")
struct DeadLetterTests {
    @Test func unknownTypeIsDeadLetteredWithItsReason() async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: "dlq-1", directory: directory, options: testOptions(), handlers: [:])
        let signal = Signal(content: .json(.object(["n": .number(1)])), type: "mystery", urgency: 0.9, sourceID: "probe", correlationID: "corr-9")
        _ = try node.receive(signal)
        #expect(await eventually { node.deadLetters().count == 1 })
        let entry = try #require(node.deadLetters().first)
        #expect(entry.signalID == signal.id && entry.type == "mystery" && entry.sourceID == "probe")
        #expect(entry.reason == .unknownSignalType)
        #expect(entry.error.contains("mystery"))
        #expect(entry.correlationID == "corr-9" && entry.retryCount == 0)
        #expect(entry.content == signal.content)
        #expect(node.queueMetrics().deadLetterCount == 1)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func handlerFailurePastTheRetryPolicy() async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: "dlq-2", directory: directory, options: testOptions(),
                                       handlers: ["work": { _ in throw TestFailure("database unavailable") }])
        let signal = makeSignal("x")
        _ = try node.receive(signal)
        #expect(await eventually { node.deadLetters().count == 1 })
        let entry = try #require(node.deadLetters().first)
        #expect(entry.reason == .processingFailed)
        #expect(entry.error == "database unavailable")
        await node.gracefulShutdown(timeout: patience)
        let failed = try attempts(in: directory).filter { $0.signalID == signal.id }
        #expect(failed.map(\.attempt) == [1, 2, 3])
        #expect(failed.allSatisfy { $0.outcome == .failed("database unavailable") })
        let moves = try records(in: directory).compactMap { entry -> DeadLetterMoveRecord? in
            if case .deadLetterMove(let move) = entry.1 { return move }
            return nil
        }
        #expect(moves.map(\.signalID) == [signal.id])
        #expect(moves.first?.reason == .processingFailed)
    }

    @Test(arguments: [("9.9", DeadLetterReason.unsupportedSchemaVersion), ("", .missingSchemaVersion)])
    func schemaProblemsAreDeadLettered(version: String, reason: DeadLetterReason) async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        let recorder = Recorder()
        let node = try SignalNode.open(nodeID: "dlq-3", directory: directory, options: testOptions(), handlers: ["work": { recorder.add($0) }])
        _ = try node.receive(makeSignal("x", schema: version))
        #expect(await eventually { node.deadLetters().count == 1 })
        #expect(node.deadLetters().first?.reason == reason)
        #expect(recorder.count == 0)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func reprocessSucceedsOrStays() async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        let healthy = Atomic<Bool>(false)
        let seen = Recorder()
        let node = try SignalNode.open(nodeID: "dlq-4", directory: directory, options: testOptions(), handlers: ["work": { signal in
            seen.add(signal)
            if !healthy.load(ordering: .acquiring) { throw TestFailure("still broken") }
        }])
        let signal = makeSignal("x")
        _ = try node.receive(signal)
        #expect(await eventually { node.deadLetters().count == 1 })

        #expect(try await node.reprocessDeadLetter(signal.id) == false)
        #expect(node.deadLetters().first?.retryCount == 1)
        #expect(node.deadLetters().first?.error == "still broken")

        healthy.store(true, ordering: .releasing)
        #expect(try await node.reprocessDeadLetter(signal.id))
        #expect(node.deadLetters().isEmpty)
        #expect(seen.signals.last?.retryCount == 2)
        #expect(seen.signals.last?.correlationID == signal.correlationID)
        await #expect(throws: SignalNodeError.deadLetterNotFound(signal.id)) { try await node.reprocessDeadLetter(signal.id) }
        #expect(node.queueMetrics().totals.reprocessed == 1)
        await node.gracefulShutdown(timeout: patience)
        let resolutions = try records(in: directory).compactMap { entry -> DeadLetterResolveRecord? in
            if case .deadLetterResolve(let resolve) = entry.1 { return resolve }
            return nil
        }
        #expect(resolutions.map(\.resolution) == [.reprocessed])
    }

    @Test func reprocessAllAndDiscard() async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: "dlq-5", directory: directory, options: testOptions(), handlers: [:])
        let signals = (0..<4).map { makeSignal("s\($0)", type: "later", partition: "p\($0)") }
        _ = try node.receive(batch: signals)
        #expect(await eventually { node.deadLetters().count == 4 })
        try node.discardDeadLetter(signals[0].id)
        #expect(throws: SignalNodeError.deadLetterNotFound(signals[0].id)) { try node.discardDeadLetter(signals[0].id) }
        node.register(type: "later") { _ in }
        let results = try await node.reprocessAllDeadLetters()
        #expect(results == [signals[1].id: true, signals[2].id: true, signals[3].id: true])
        #expect(node.deadLetters().isEmpty)
        #expect(node.queueMetrics().totals.discarded == 1)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func deadLettersSurviveARestart() async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        let before: [DeadLetter]
        do {
            let node = try SignalNode.open(nodeID: "dlq-6", directory: directory, options: testOptions(), handlers: ["work": { _ in throw TestFailure() }])
            _ = try node.receive(batch: (0..<3).map { makeSignal("s\($0)", partition: "p\($0)") } + [makeSignal("u", type: "unknown")])
            #expect(await eventually { node.deadLetters().count == 4 })
            try node.discardDeadLetter(node.deadLetters()[0].signalID)
            before = node.deadLetters()
            #expect(await node.gracefulShutdown(timeout: patience))
        }
        let node = try SignalNode.open(nodeID: "dlq-6", directory: directory, options: testOptions(), handlers: [:])
        #expect(node.deadLetters() == before)
        #expect(node.queueMetrics().totals.deadLettered == 4)
        #expect(node.queueMetrics().totals.discarded == 1)
        await node.gracefulShutdown(timeout: patience)
    }

    @Test func maxSizeIsOnlyAWarningThreshold() async throws {
        let directory = temporaryDirectory("dlq")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.maxDeadLetters = 2
        let node = try SignalNode.open(nodeID: "dlq-7", directory: directory, options: options, handlers: [:])
        _ = try node.receive(batch: (0..<10).map { makeSignal("s\($0)", type: "nobody") })
        #expect(await eventually { node.deadLetters().count == 10 })
        await node.gracefulShutdown(timeout: patience)
    }
}
