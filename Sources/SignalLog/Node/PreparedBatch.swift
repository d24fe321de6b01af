import SegmentLog

/// Signals made ready for acceptance off the node's lock by
/// ``SignalNode/prepare(_:)``: checked, their keys hashed, their records
/// encoded and compressed as one batch. Only ``SignalNode/receive(prepared:)``
/// decides them (dedupe, breaker, capacity) and writes them.
///
/// It can be handed to another task: the prepared work is taken out under a
/// lock by the one receive that uses it.
public final class PreparedBatch: Sendable {
    /// The signals, in the order they will be decided.
    public let signals: [Signal]
    /// The prepared work, until a receive takes it.
    private let parts: LockedValue<SignalNode.Prepared?>
    /// The log the draft was made for (a draft belongs to one log).
    private let log: ObjectIdentifier

    init(_ signals: [Signal], _ parts: SignalNode.Prepared, log: SegmentLog) {
        self.signals = signals
        self.parts = LockedValue(parts)
        self.log = ObjectIdentifier(log)
    }

    /// Signals in the batch.
    public var count: Int { signals.count }

    /// The prepared work for `log`, once; nil when it was taken already or
    /// was made for another log.
    func take(for log: SegmentLog) -> SignalNode.Prepared? {
        guard ObjectIdentifier(log) == self.log else { return nil }
        return parts.withLock { parts in
            defer { parts = nil }
            return parts
        }
    }
}

/// The draft inside is a class without locks of its own; it is safe to move
/// between tasks because it has one holder at a time: the task preparing it,
/// then the ``PreparedBatch`` lock, then the one receive that takes it.
extension SignalNode.Prepared: @unchecked Sendable {}
