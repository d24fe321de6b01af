import SegmentLog
import SignalLog
import Synchronization

/// A node on another machine, reached through a JetStream stream: signals
/// sent to it are published to its subject (`<prefix>.<node>`), stored by
/// the stream, and appended by the node's ``SignalInbox`` when it reads
/// them, which acknowledges them only after its own log has.
///
/// ```swift
/// let target = RemoteTarget(nodeID: "node-b", jetStream: js, stream: DeliveryStream(name: "DELIVERY"))
/// let outcomes = try await target.send(batch: signals)
/// ```
///
/// Flow control keeps its local meaning: before sending, the target's
/// queue, counting what is still in the stream for it (``RemoteFlow``), is
/// compared with its capacity; at 80 % the sender warns once per crossing,
/// at 95 % it refuses, and it sends again once the node has caught up.
public final class RemoteTarget: Sendable {
    public let nodeID: String
    public let jetStream: JetStream
    public let stream: DeliveryStream
    public let subjects: DeliverySubjects
    public let options: RemoteTargetOptions

    private struct State {
        var prepared = false
        /// The last reading and when it was taken (clock microseconds).
        var reading: RemoteFlow?
        var readAt: Int64 = .min
        /// Signals stored since ``reading``, added to its depth.
        var sentSinceReading = 0
        var lastCapacity: Int?
        var warned = false
        var warnings = 0
    }
    private let state = Mutex(State())

    public init(nodeID: String, jetStream: JetStream, stream: DeliveryStream, options: RemoteTargetOptions = RemoteTargetOptions()) {
        self.nodeID = nodeID
        self.jetStream = jetStream
        self.stream = stream
        self.subjects = stream.subjects(for: nodeID)
        self.options = options
    }

    /// Flow-control warnings this sender has given for the node.
    public var flowWarningCount: Int { state.withLock { $0.warnings } }

    /// Sends one signal (see ``send(batch:)``).
    public func send(_ signal: Signal) async throws(DeliveryError) -> RemoteSendOutcome {
        try await send(batch: [signal])[0]
    }

    /// Sends signals in order, at most ``RemoteTargetOptions/maxInFlight``
    /// publishes awaiting their acks at once, each with message id
    /// `<node>:<signal id>` (a resend within the stream's duplicate window
    /// is dropped by the server, and one after it by the node's dedupe).
    /// Returns an outcome per signal. Once one is refused or fails, the
    /// rest of the batch is not sent, so what is stored keeps the order given.
    /// Throws only when the stream cannot be prepared or the flow not read.
    public func send(batch signals: [Signal]) async throws(DeliveryError) -> [RemoteSendOutcome] {
        guard !signals.isEmpty else { return [] }
        if !state.withLock({ $0.prepared }) {
            try await stream.prepare(jetStream, for: subjects)
            state.withLock { $0.prepared = true }
        }
        var outcomes: [RemoteSendOutcome] = []
        outcomes.reserveCapacity(signals.count)
        var inFlight: [(position: Int, ack: JetStreamPendingAck)] = []
        var stop: RemoteSendOutcome?

        func settle(_ entry: (position: Int, ack: JetStreamPendingAck)) async {
            let outcome: RemoteSendOutcome
            do {
                let ack = try await entry.ack.value()
                outcome = ack.duplicate ? .alreadyStored(streamSequence: ack.sequence) : .stored(streamSequence: ack.sequence)
                if !ack.duplicate { state.withLock { $0.sentSinceReading += 1 } }
            } catch {
                outcome = .failed("\(error)")
                if stop == nil { stop = .failed("not sent: an earlier signal of the batch failed (\(error))") }
            }
            outcomes.append(outcome)
        }

        for (position, signal) in signals.enumerated() {
            // Settle the oldest publishes first, so outcomes stay in order.
            while inFlight.count >= max(1, options.maxInFlight) { await settle(inFlight.removeFirst()) }
            if stop != nil {
                // Nothing is sent after a failure; the publishes still in
                // flight (earlier signals) are settled first.
                for entry in inFlight { await settle(entry) }
                inFlight = []
                outcomes.append(contentsOf: Array(repeating: stop!, count: signals.count - position))
                break
            }
            if let refusal = try await admit(inFlight: inFlight.count) {
                for entry in inFlight { await settle(entry) }
                inFlight = []
                outcomes.append(refusal)
                stop = refusal
                continue
            }
            do {
                let ack = try jetStream.startPublish(
                    subjects.deliver, payload: SignalRecord(signal: signal).encode(),
                    headers: NATSHeaders([(DeliverySubjects.Header.signalID, signal.id)]),
                    messageID: subjects.messageID(signalID: signal.id))
                inFlight.append((position, ack))
            } catch {
                for entry in inFlight { await settle(entry) }
                inFlight = []
                outcomes.append(.failed("\(error)"))
                stop = .failed("not sent: an earlier signal of the batch failed (\(error))")
            }
        }
        for entry in inFlight { await settle(entry) }
        return outcomes
    }

    /// Nil when one more signal may go, else the refusal. `inFlight`
    /// publishes count as sent.
    private func admit(inFlight: Int) async throws(DeliveryError) -> RemoteSendOutcome? {
        let now = options.clock.nowMicroseconds()
        let stale = state.withLock { state in
            state.reading == nil || now - state.readAt >= options.flowRefresh.microseconds
        }
        if stale { _ = try await flow() }
        let thresholds = options.flowControl
        let (depth, capacity, warn) = state.withLock { state -> (Int, Int, Bool) in
            let reading = state.reading!
            let depth = reading.depth + state.sentSinceReading + inFlight
            let capacity = max(1, reading.queueCapacity)
            let fill = Double(depth) / Double(capacity)
            if fill < thresholds.warning - thresholds.hysteresis { state.warned = false }
            var warn = false
            if fill >= thresholds.warning, !state.warned {
                state.warned = true
                state.warnings += 1
                warn = true
            }
            return (depth, capacity, warn)
        }
        if warn {
            options.logger.warning("remote target queue filling up",
                                   metadata: ["target": "\(nodeID)", "depth": "\(depth)", "capacity": "\(capacity)"])
        }
        if Double(depth) / Double(capacity) >= thresholds.refusal {
            return .refused(depth: depth, capacity: capacity)
        }
        return nil
    }

    /// Reads the node's queue now (and keeps the reading for the next
    /// sends): its consumer's unacknowledged messages, and the depth and
    /// capacity its inbox reports on ``DeliverySubjects/status``.
    public func flow() async throws(DeliveryError) -> RemoteFlow {
        let backlog: UInt64
        do {
            let info = try await jetStream.consumerInfo(stream: stream.name, name: subjects.consumerName)
            backlog = info.numPending + info.numAckPending
        } catch let error where error.errorCode == JetStreamErrorCode.consumerNotFound {
            // No inbox has read yet: everything on the subject is waiting.
            do {
                backlog = try await jetStream.messageCounts(stream: stream.name, filter: subjects.deliver)[subjects.deliver] ?? 0
            } catch {
                throw .jetStream(error)
            }
        } catch {
            throw .jetStream(error)
        }
        var status: NodeStatus?
        do {
            let reply = try await jetStream.client.request(subjects.status, timeout: jetStream.timeout)
            guard let decoded = NodeStatus.decode(reply.payload) else {
                throw DeliveryError.malformedStatus(node: nodeID, subject: subjects.status,
                                                   text: String(decoding: reply.payload.prefix(200), as: UTF8.self))
            }
            status = decoded
        } catch let error as DeliveryError {
            throw error
        } catch {
            // No inbox is running (no responders) or it did not answer in
            // time: its queue is unknown, the backlog still counts.
            status = nil
        }
        let reading = state.withLock { state -> RemoteFlow in
            if let status { state.lastCapacity = status.queueCapacity }
            let reading = RemoteFlow(backlog: backlog, queueDepth: status?.queueDepth ?? 0,
                                     queueCapacity: status?.queueCapacity ?? state.lastCapacity ?? options.assumedCapacity,
                                     nodeAnswered: status != nil)
            state.reading = reading
            state.readAt = options.clock.nowMicroseconds()
            state.sentSinceReading = 0
            return reading
        }
        return reading
    }
}

extension Duration {
    /// The whole duration in microseconds (saturating).
    var microseconds: Int64 { nanoseconds / 1_000 }
}
