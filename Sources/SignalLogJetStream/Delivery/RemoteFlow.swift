/// A sender's reading of a remote node's queue, for flow control across
/// machines (docs/jetstream.md, "Flow control").
///
/// The queue a sender fills is everything sent to the node and not yet
/// finished by it: the messages its durable consumer has not yet had
/// acknowledged (``backlog``: still in the stream, or fetched and not yet
/// appended) plus the node's own accepted-but-unfinished signals
/// (``queueDepth``, which its inbox reports). Against the node's own
/// capacity, 80 % and 95 % mean what they mean for a local send.
public struct RemoteFlow: Sendable, Equatable {
    /// Messages for the node its consumer has not had acknowledged (all
    /// messages on its subject while it has no consumer yet).
    public var backlog: UInt64
    /// The node's queue depth as its inbox last reported it (0 when no
    /// inbox answered: its pending work is then in its log, unseen).
    public var queueDepth: Int
    /// The node's queue capacity as reported, else the last one reported,
    /// else ``RemoteTargetOptions/assumedCapacity``.
    public var queueCapacity: Int
    /// Whether the node's inbox answered the status request.
    public var nodeAnswered: Bool

    public init(backlog: UInt64, queueDepth: Int, queueCapacity: Int, nodeAnswered: Bool) {
        self.backlog = backlog
        self.queueDepth = queueDepth
        self.queueCapacity = queueCapacity
        self.nodeAnswered = nodeAnswered
    }

    /// Backlog and queue together: what is compared with the capacity.
    public var depth: Int { Int(clamping: backlog) + queueDepth }
}

/// What ``RemoteTarget/send(batch:)`` did with one signal.
public enum RemoteSendOutcome: Sendable, Equatable {
    /// The stream stored it (at this stream sequence); the node appends it
    /// when its inbox reads it.
    case stored(streamSequence: UInt64)
    /// The stream already held a message with its id (a resend inside the
    /// duplicate window) and dropped this one.
    case alreadyStored(streamSequence: UInt64)
    /// Flow control refused it: the node's queue, backlog included, was at
    /// or past the refusal threshold.
    case refused(depth: Int, capacity: Int)
    /// Not stored: the publish failed (or an earlier one of the batch did,
    /// and this one was not sent, to keep the batch's order).
    case failed(String)

    /// Stored now or before.
    public var isStored: Bool {
        switch self {
        case .stored, .alreadyStored: return true
        case .refused, .failed: return false
        }
    }
}
