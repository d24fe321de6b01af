import ServiceLifecycle
import SignalLog
import Synchronization

/// The receiving side of cross-machine delivery: reads the signals sent to
/// a node through a JetStream stream with the node's durable pull consumer,
/// appends them with ``SignalLog/SignalNode/receive(batch:)``, and
/// acknowledges them only after that append returned — so a crash at any
/// point leaves every unacknowledged signal in the stream, delivered again
/// to the next inbox, where the node's idempotency-key dedupe absorbs the
/// ones its log already holds (docs/jetstream.md, "Cross-machine delivery").
///
/// ```swift
/// let inbox = SignalInbox(node: node, jetStream: js, stream: DeliveryStream(name: "DELIVERY"))
/// try await inbox.run()          // a ServiceLifecycle Service: stops on graceful shutdown
/// ```
///
/// While it runs it answers status requests on ``DeliverySubjects/status``
/// with the node's queue depth and capacity (``NodeStatus``), which remote
/// senders' flow control reads.
public final class SignalInbox: Service, Sendable {
    public let node: SignalNode
    public let jetStream: JetStream
    public let stream: DeliveryStream
    public let subjects: DeliverySubjects
    public let options: InboxOptions
    private let state = Mutex(InboxProgress())

    /// - Parameter address: the node id senders address (default: the
    ///   node's own ``SignalLog/SignalNode/nodeID``).
    public init(node: SignalNode, jetStream: JetStream, stream: DeliveryStream, address: String? = nil,
                options: InboxOptions = InboxOptions()) {
        self.node = node
        self.jetStream = jetStream
        self.stream = stream
        self.subjects = stream.subjects(for: address ?? node.nodeID)
        self.options = options
    }

    /// What the inbox has done so far.
    public var progress: InboxProgress { state.withLock { $0 } }

    /// Runs ``deliver()`` until the task is cancelled or a graceful shutdown begins.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { _ = try await self.deliver() }
    }

    /// Reads, appends and acknowledges until cancelled (or, with
    /// ``InboxOptions/stopWhenIdle``, until nothing is left for the node),
    /// and returns what it did. Throws when the stream or consumer cannot
    /// be set up, JetStream fails, or the node's log refuses an append
    /// (nothing unappended is ever acknowledged).
    public func deliver() async throws(DeliveryError) -> InboxProgress {
        try await stream.prepare(jetStream, for: subjects)
        // Explicit acks, one per message: an ack of a later message must
        // never cover an earlier one that went to another (dead) inbox.
        var config = ConsumerConfig(durableName: subjects.consumerName, deliverPolicy: .all, ackPolicy: .explicit,
                                    filterSubject: subjects.deliver)
        config.ackWait = options.ackWait.nanoseconds
        config.maxAckPending = max(1, options.batchSize)
        let consumer: PullConsumer
        do {
            consumer = try await jetStream.createConsumer(stream: stream.name, config)
        } catch {
            throw .jetStream(error)
        }
        let statusTask = try answerStatusRequests()
        defer {
            statusTask.cancel()
            consumer.close()
        }
        // Messages a crashed inbox had fetched and not acknowledged come
        // again only after the ack wait, and newer ones may arrive first:
        // those are held until the older ones are back, so the node
        // appends in stream order (docs/jetstream.md).
        var held: [JetStreamMessage] = []
        var recovering = consumer.info.numAckPending > 0
        while !Task.isCancelled {
            let room = node.queueCapacity - node.queueDepth
            if room <= 0 {
                for message in held { try? consumer.inProgress(message) }
                try? await Task.sleep(for: options.retryInterval)
                continue
            }
            var fetched: [JetStreamMessage] = []
            let wanted = min(max(1, options.batchSize) - held.count, room)
            if wanted > 0 {
                do {
                    fetched = try await consumer.fetch(batch: wanted, expires: options.fetchWait)
                } catch {
                    try await waitOutLostConnection(error)
                    continue
                }
            }
            let redelivered = fetched.filter { $0.deliveries > 1 }.count
            if redelivered > 0 { state.withLock { $0.redelivered += redelivered } }
            // A message delivered twice (a redelivery racing its first
            // delivery) is held once.
            for message in fetched where !held.contains(where: { $0.streamSequence == message.streamSequence }) {
                held.append(message)
            }
            if recovering {
                let info: ConsumerInfo
                do {
                    info = try await jetStream.consumerInfo(stream: stream.name, name: consumer.name)
                } catch {
                    try await waitOutLostConnection(error)
                    continue
                }
                // Every unacknowledged message is in hand once the server
                // counts no more of them than are held.
                if info.numAckPending > UInt64(held.count) {
                    for message in held { try? consumer.inProgress(message) }
                    continue
                }
                recovering = false
                held.sort { $0.streamSequence < $1.streamSequence }
            }
            if held.isEmpty {
                // Nothing came: nothing is left, or messages went to the
                // pull request of an inbox that died after this one asked
                // at its start, and come again only after the ack wait.
                let info: ConsumerInfo
                do {
                    info = try await jetStream.consumerInfo(stream: stream.name, name: consumer.name)
                } catch {
                    try await waitOutLostConnection(error)
                    continue
                }
                if info.numAckPending > 0 {
                    recovering = true
                    continue
                }
                if options.stopWhenIdle && info.numPending == 0 { break }
                continue
            }
            let batch = held
            held = []
            guard try await append(batch, consumer: consumer) else { break }
        }
        return progress
    }

    /// Appends `messages` (in stream order) and acknowledges them. Signals
    /// refused for backpressure or an open circuit are offered again after
    /// ``InboxOptions/retryInterval``, the ones before them acknowledged.
    /// Returns false when the node is shutting down (the rest stay unacknowledged).
    private func append(_ messages: [JetStreamMessage], consumer: PullConsumer) async throws(DeliveryError) -> Bool {
        var items: [(message: JetStreamMessage, signal: Signal)] = []
        items.reserveCapacity(messages.count)
        for message in messages {
            do {
                items.append((message, try SignalRecord.decode(message.payload).signal))
            } catch {
                let entry = UnreadableDelivery(stream: stream.name, streamSequence: message.streamSequence,
                                               subject: message.subject, reason: "\(error)")
                state.withLock { progress in
                    progress.unreadableCount += 1
                    if progress.unreadable.count < 100 { progress.unreadable.append(entry) }
                }
            }
        }
        var acked = 0
        while !items.isEmpty {
            let results: [ReceiveResult]
            do {
                results = try node.receive(batch: items.map(\.signal))
            } catch {
                throw .storage(node: node.nodeID, stream: stream.name, streamSequence: items[0].message.streamSequence,
                               reason: "\(error)")
            }
            var again: [(message: JetStreamMessage, signal: Signal)] = []
            var stopping = false
            state.withLock { progress in
                for (item, result) in zip(items, results) {
                    switch result {
                    case .accepted: progress.accepted += 1
                    case .duplicate: progress.duplicates += 1
                    case .conflict: progress.conflicts += 1
                    case .rejected(.invalidSignal): progress.rejected += 1
                    case .rejected(.backpressure), .rejected(.circuitOpen): again.append(item)
                    case .rejected(.shuttingDown):
                        stopping = true
                        again.append(item)
                    }
                }
            }
            guard let first = again.first else { break }
            // Everything before the first refused message is in the log.
            if let position = messages.firstIndex(where: { $0.streamSequence == first.message.streamSequence }), position > acked {
                for message in messages[acked..<position] { acknowledge(message, consumer) }
                acked = position
            }
            if stopping { return false }
            state.withLock { $0.retries += 1 }
            for item in again { try? consumer.inProgress(item.message) }
            try? await Task.sleep(for: options.retryInterval)
            if Task.isCancelled { return false }
            items = again
        }
        for message in messages[acked...] { acknowledge(message, consumer) }
        return true
    }

    private func acknowledge(_ message: JetStreamMessage, _ consumer: PullConsumer) {
        // An ack lost with the connection is no error: the message is
        // delivered again, and the node's dedupe absorbs it.
        try? consumer.ack(message)
    }

    /// Returns once the client has reconnected when `error` is a lost
    /// connection or a request that timed out (a server restarting, a
    /// cluster electing a leader); throws any other error. Nothing fetched
    /// and not appended was acknowledged, so the server delivers it again.
    private func waitOutLostConnection(_ error: JetStreamError) async throws(DeliveryError) {
        switch error {
        case .transport(.notConnected), .transport(.disconnected), .transport(.timeout), .transport(.noResponders):
            await jetStream.client.waitUntilConnected()
        case .api(_, _, let code, _, _) where code == 503 || code == 408 || code == 409:
            await jetStream.client.waitUntilConnected()
        default: throw .jetStream(error)
        }
        if Task.isCancelled { return }
    }

    /// Answers each request on the status subject with the node's queue now.
    private func answerStatusRequests() throws(DeliveryError) -> Task<Void, Never> {
        let subscription: NATSSubscription
        do {
            subscription = try jetStream.client.subscribe(subjects.status)
        } catch {
            throw .jetStream(.transport(error))
        }
        let client = jetStream.client, node = self.node, address = subjects.nodeID
        return Task {
            await withTaskCancellationHandler {
                for await request in subscription {
                    guard let replyTo = request.replyTo else { continue }
                    let status = NodeStatus(node: address, queueDepth: node.queueDepth, queueCapacity: node.queueCapacity)
                    try? client.publish(replyTo, payload: status.encoded())
                }
            } onCancel: {
                client.unsubscribe(subscription)
            }
        }
    }
}
