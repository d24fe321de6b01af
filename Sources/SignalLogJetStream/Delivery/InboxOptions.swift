/// How a ``SignalInbox`` reads its node's deliveries.
public struct InboxOptions: Sendable {
    /// Messages fetched, appended as one `receive(batch:)` and acknowledged
    /// together, at most; also the consumer's limit of unacknowledged
    /// messages, so that after a crash nothing newer is delivered before
    /// the unacknowledged ones come again.
    public var batchSize = 256
    /// How long the server waits for an acknowledgement before delivering
    /// a message again: after a crash, the time before the messages the
    /// dead inbox held arrive at the next one.
    public var ackWait: Duration = .seconds(30)
    /// How long one fetch waits for messages.
    public var fetchWait: Duration = .seconds(1)
    /// The pause before signals the node refused for backpressure or an
    /// open circuit are offered again (they stay unacknowledged meanwhile).
    public var retryInterval: Duration = .milliseconds(50)
    /// Stop once nothing is left for the node (a catch-up run), instead of
    /// waiting for more until cancelled.
    public var stopWhenIdle = false

    public init() {}
}

/// What an inbox has done since it started.
public struct InboxProgress: Sendable, Equatable {
    /// Signals the node accepted (appended to its log).
    public var accepted = 0
    /// Deliveries the node's dedupe absorbed (a redelivery after a crash,
    /// or a signal sent twice).
    public var duplicates = 0
    /// Signals whose idempotency key the node had seen with another payload.
    public var conflicts = 0
    /// Signals the node can never accept (invalid): acknowledged, and
    /// recorded by the node as rejected attempts.
    public var rejected = 0
    /// Messages that are not signals: acknowledged and listed in
    /// ``unreadable`` (the first 100), never silently dropped.
    public var unreadableCount = 0
    public var unreadable: [UnreadableDelivery] = []
    /// Deliveries that were not a message's first (after a crash or an ack
    /// that came too late).
    public var redelivered = 0
    /// Times the node refused for backpressure or an open circuit and the
    /// signals were offered again.
    public var retries = 0

    public init() {}
}

/// A message in the delivery stream that is not a signal record.
public struct UnreadableDelivery: Sendable, Equatable, CustomStringConvertible {
    public var stream: String
    public var streamSequence: UInt64
    public var subject: String
    public var reason: String

    public var description: String {
        "stream \(stream) sequence \(streamSequence) (\(subject)) is not a signal: \(reason)"
    }
}
