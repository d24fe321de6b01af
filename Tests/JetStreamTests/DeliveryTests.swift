import Foundation
import Testing
import SegmentLog
import SignalLog
import SignalLogJetStream

/// Cross-machine delivery: a ``RemoteTarget`` publishes to a node's
/// subject, the node's ``SignalInbox`` appends with `receive(batch:)` and
/// acknowledges after its log has the signals.
@Suite(.serialized) struct DeliveryTests {
    @Test func sentSignalsAreAppendedOnceInOrderAndAcknowledged() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        var nodeOptions = SignalNodeOptions()
        nodeOptions.processing = false
        let node = try SignalNode.open(nodeID: "node-b", directory: scratch.child("b"), options: nodeOptions)
        let stream = DeliveryStream(name: "DELIVERY")
        var inboxOptions = InboxOptions()
        inboxOptions.batchSize = 50
        let inbox = SignalInbox(node: node, jetStream: js, stream: stream, options: inboxOptions)
        let running = Task { try await inbox.deliver() }

        let target = RemoteTarget(nodeID: "node-b", jetStream: js, stream: stream)
        let signals = (0..<600).map { deliverySignal($0) }
        var outcomes: [RemoteSendOutcome] = []
        for start in stride(from: 0, to: signals.count, by: 100) {
            outcomes += try await target.send(batch: Array(signals[start..<start + 100]))
        }
        #expect(outcomes.allSatisfy { if case .stored = $0 { return true } else { return false } })
        try await waitUntil("600 signals in node-b's log", client: client) { inbox.progress.accepted == 600 }

        // The same signals again: the server drops them by message id.
        let again = try await target.send(batch: Array(signals[0..<10]))
        #expect(again.allSatisfy { if case .alreadyStored = $0 { return true } else { return false } })
        // The same idempotency keys under new ids reach the node, whose dedupe absorbs them.
        let resent = (0..<10).map { n -> Signal in
            let original = signals[n]
            return Signal(content: original.content, type: original.type, sourceID: original.sourceID, id: "again-\(n)",
                          idempotencyKey: original.idempotencyKey, partitionKey: original.partitionKey,
                          correlationID: original.correlationID, createdAt: original.createdAt)
        }
        let resentOutcomes = try await target.send(batch: resent)
        #expect(resentOutcomes.allSatisfy { $0.isStored })
        try await waitUntil("10 duplicates", client: client) { inbox.progress.duplicates == 10 }

        running.cancel()
        let progress = try await running.value
        #expect(progress.accepted == 600 && progress.unreadableCount == 0)
        let info = try await js.consumerInfo(stream: "DELIVERY", name: target.subjects.consumerName)
        #expect(info.numAckPending == 0 && info.numPending == 0)
        await node.gracefulShutdown(timeout: .zero)
        try #expect(deliveryProblem(try signalRecords(scratch.child("b")), count: 600) == nil)
        await client.close()
    }

    @Test func nothingIsAcknowledgedThatTheLogDidNotTake() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let stream = DeliveryStream(name: "UNACKED")
        let target = RemoteTarget(nodeID: "node-c", jetStream: js, stream: stream)
        let sent = try await target.send(batch: (0..<40).map { deliverySignal($0) })
        #expect(sent.allSatisfy { $0.isStored })
        // A node that has shut down refuses every append: the inbox stops
        // and leaves what it fetched unacknowledged.
        var nodeOptions = SignalNodeOptions()
        nodeOptions.processing = false
        let closed = try SignalNode.open(nodeID: "node-c", directory: scratch.child("c"), options: nodeOptions)
        await closed.gracefulShutdown(timeout: .zero)
        var inboxOptions = InboxOptions()
        inboxOptions.batchSize = 16
        inboxOptions.ackWait = .seconds(1)
        let refused = try await SignalInbox(node: closed, jetStream: js, stream: stream, options: inboxOptions).deliver()
        #expect(refused.accepted == 0)
        let held = try await js.consumerInfo(stream: "UNACKED", name: target.subjects.consumerName)
        #expect(held.numAckPending == 16 && held.ackFloorStreamSequence == 0)

        // The next inbox gets them again (after the ack wait) and the rest, in order.
        let node = try SignalNode.open(nodeID: "node-c", directory: scratch.child("c"), options: nodeOptions)
        inboxOptions.stopWhenIdle = true
        let progress = try await SignalInbox(node: node, jetStream: js, stream: stream, options: inboxOptions).deliver()
        #expect(progress.accepted == 40 && progress.redelivered >= 16)
        await node.gracefulShutdown(timeout: .zero)
        try #expect(deliveryProblem(try signalRecords(scratch.child("c")), count: 40) == nil)
        let done = try await js.consumerInfo(stream: "UNACKED", name: target.subjects.consumerName)
        #expect(done.numAckPending == 0 && done.numPending == 0)
        await client.close()
    }

    @Test func unreadableMessagesAreReportedNotDropped() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let stream = DeliveryStream(name: "MIXED")
        let target = RemoteTarget(nodeID: "node-d", jetStream: js, stream: stream)
        _ = try await target.send(deliverySignal(0))
        let stray = try await js.publish(target.subjects.deliver, payload: Array("not a signal".utf8))
        _ = try await target.send(deliverySignal(1))
        var nodeOptions = SignalNodeOptions()
        nodeOptions.processing = false
        let node = try SignalNode.open(nodeID: "node-d", directory: scratch.child("d"), options: nodeOptions)
        var inboxOptions = InboxOptions()
        inboxOptions.stopWhenIdle = true
        let progress = try await SignalInbox(node: node, jetStream: js, stream: stream, options: inboxOptions).deliver()
        await node.gracefulShutdown(timeout: .zero)
        #expect(progress.accepted == 2)
        #expect(progress.unreadableCount == 1)
        #expect(progress.unreadable.first?.streamSequence == stray.sequence)
        await client.close()
    }

    @Test func flowControlCountsTheStreamBacklogAndTheNodesQueue() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        let stream = DeliveryStream(name: "FLOW")
        let gate = HandlerGate()
        var nodeOptions = SignalNodeOptions()
        nodeOptions.queueCapacity = 20
        let node = try SignalNode.open(nodeID: "node-e", directory: scratch.child("e"), options: nodeOptions,
                                       handlers: ["order": { _ in await gate.wait() }])
        let clock = ManualClock()
        var targetOptions = RemoteTargetOptions()
        targetOptions.clock = clock
        targetOptions.assumedCapacity = 20
        let target = RemoteTarget(nodeID: "node-e", jetStream: js, stream: stream, options: targetOptions)

        // No inbox yet: everything sent waits in the stream, and counts.
        let first = try await target.send(batch: (0..<25).map { deliverySignal($0) })
        #expect(first.prefix(19).allSatisfy { $0.isStored })
        #expect(first[19] == .refused(depth: 19, capacity: 20))
        #expect(first.dropFirst(19).allSatisfy { !$0.isStored })
        #expect(target.flowWarningCount == 1)
        clock.advance(byMicroseconds: 1_000_000)
        try #expect(try await target.flow() == RemoteFlow(backlog: 19, queueDepth: 0, queueCapacity: 20, nodeAnswered: false))

        // The inbox moves them into the node, whose handler is held: the
        // backlog becomes the node's queue, and the sender still refuses.
        var inboxOptions = InboxOptions()
        inboxOptions.batchSize = 8
        let inbox = SignalInbox(node: node, jetStream: js, stream: stream, options: inboxOptions)
        let running = Task { try await inbox.deliver() }
        try await waitUntil("19 signals accepted and acknowledged", client: client) {
            guard inbox.progress.accepted == 19 else { return false }
            let info = try await js.consumerInfo(stream: "FLOW", name: target.subjects.consumerName)
            return info.numAckPending == 0 && info.numPending == 0
        }
        clock.advance(byMicroseconds: 1_000_000)
        let held = try await target.flow()
        #expect(held.backlog == 0 && held.queueCapacity == 20 && held.nodeAnswered, "\(held)")
        #expect(held.queueDepth == 19)
        try #expect(try await target.send(deliverySignal(100)) == .refused(depth: 19, capacity: 20))

        // Once the node drains, sending resumes.
        gate.open()
        try await waitUntil("node-e drained", client: client) { node.queueDepth == 0 }
        clock.advance(byMicroseconds: 1_000_000)
        let resumed = try await target.send(batch: (200..<205).map { deliverySignal($0) })
        #expect(resumed.allSatisfy { $0.isStored })
        #expect(target.flowWarningCount == 1)
        running.cancel()
        _ = try await running.value
        await node.gracefulShutdown(timeout: .seconds(30))
        await client.close()
    }
}

/// An inbox carries on across a server restart: what it fetched and had
/// not acknowledged comes again, and every signal is appended once.
@Suite(.serialized) struct DeliveryRestartTests {
    @Test func inboxCarriesOnAcrossAServerRestart() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let scratch = TemporaryDirectory()
        var clientOptions = NATSOptions(servers: [server.address])
        clientOptions.requestTimeout = .seconds(5)
        let client = try await NATSClient.connect(clientOptions)
        let js = JetStream(client: client, timeout: .seconds(5))
        let stream = DeliveryStream(name: "RESTART")
        let target = RemoteTarget(nodeID: "node-f", jetStream: js, stream: stream)
        let first = try await target.send(batch: (0..<400).map { deliverySignal($0) })
        #expect(first.allSatisfy { $0.isStored })
        var nodeOptions = SignalNodeOptions()
        nodeOptions.processing = false
        let node = try SignalNode.open(nodeID: "node-f", directory: scratch.child("f"), options: nodeOptions)
        var inboxOptions = InboxOptions()
        inboxOptions.batchSize = 32
        inboxOptions.ackWait = .seconds(2)
        let inbox = SignalInbox(node: node, jetStream: js, stream: stream, options: inboxOptions)
        let running = Task { try await inbox.deliver() }
        let watcher = try await connectClient([server.address])
        try await waitUntil("the first signals appended", client: watcher) { inbox.progress.accepted >= 100 }
        server.kill()
        try await server.start()
        await watcher.waitUntilConnected()
        await client.waitUntilConnected()
        let second = try await target.send(batch: (400..<500).map { deliverySignal($0) })
        #expect(second.allSatisfy { $0.isStored })
        try await waitUntil("500 signals appended", client: watcher) { inbox.progress.accepted == 500 }
        running.cancel()
        _ = try await running.value
        await node.gracefulShutdown(timeout: .zero)
        try #expect(deliveryProblem(signalRecords(scratch.child("f")), count: 500) == nil)
        await client.close()
        await watcher.close()
    }
}

/// A signal the stream refuses stops the batch there: the ones before it
/// are stored, the outcomes keep the signals' order, and nothing is sent
/// after the refusal is known (a signal already in flight then may be stored).
@Suite(.serialized) struct RemoteSendFailureTests {
    @Test func aRefusedPublishStopsTheRestOfTheBatchInOrder() async throws {
        let server = try NATSServerProcess()
        defer { server.kill() }
        try await server.start()
        let client = try await connectClient([server.address])
        let js = JetStream(client: client, timeout: .seconds(60))
        var config = StreamConfig(name: "FAILS", subjects: ["signallog-delivery.>"])
        config.maxMessageSize = 2048
        try await js.createStream(config)
        var options = RemoteTargetOptions()
        options.maxInFlight = 2
        let target = RemoteTarget(nodeID: "node-g", jetStream: js, stream: DeliveryStream(name: "FAILS"), options: options)
        var signals = (0..<9).map { deliverySignal($0) }
        signals[5] = Signal(content: .text(String(repeating: "x", count: 10_000)), type: "order", sourceID: "node-a", id: "sig-5")
        let outcomes = try await target.send(batch: signals)
        func stored(_ outcome: RemoteSendOutcome) -> Bool { if case .stored = outcome { return true } else { return false } }
        func notSent(_ outcome: RemoteSendOutcome) -> Bool {
            if case .failed(let reason) = outcome { return reason.hasPrefix("not sent") } else { return false }
        }
        #expect(outcomes.count == 9)
        #expect(outcomes.prefix(5).allSatisfy(stored), "\(outcomes)")
        if case .failed(let reason) = outcomes[5] { #expect(!reason.hasPrefix("not sent"), "\(reason)") } else {
            Issue.record("signal 5: \(outcomes[5])")
        }
        // Signal 6 was published before the refusal of 5 came back.
        #expect(stored(outcomes[6]), "\(outcomes)")
        #expect(notSent(outcomes[7]) && notSent(outcomes[8]), "\(outcomes)")
        #expect(try await js.streamInfo("FAILS").state.messages == 6)
        await client.close()
    }
}
