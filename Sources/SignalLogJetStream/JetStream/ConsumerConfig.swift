import SegmentLog

/// Where a consumer starts in its stream.
public enum DeliverPolicy: Sendable, Equatable {
    case all
    case last
    case new
    /// From this stream sequence on.
    case byStartSequence(UInt64)
    /// From the first message stored at or after this time (microseconds since the epoch).
    case byStartTime(microseconds: Int64)
}

/// How a consumer's messages are acknowledged.
public enum AckPolicy: String, Sendable, Equatable {
    /// No acks: delivered is done.
    case none
    /// Acking a message acks every one delivered before it.
    case all
    /// Each message is acked on its own.
    case explicit
}

/// A pull consumer's settings (`$JS.API.CONSUMER.CREATE`).
public struct ConsumerConfig: Sendable, Equatable, Encodable {
    /// Set for a durable consumer (kept until deleted); nil for an ephemeral
    /// one, which the server removes after ``inactiveThreshold`` unused.
    public var durableName: String?
    public var deliverPolicy: DeliverPolicy = .all
    public var ackPolicy: AckPolicy = .explicit
    /// How long the server waits for an ack before redelivering, nanoseconds.
    public var ackWait: Int64 = 30_000_000_000
    /// Only messages whose subject matches (wildcards allowed); nil for all.
    public var filterSubject: String?
    /// Most messages delivered and not yet acked.
    public var maxAckPending: Int = 20_000
    /// How long an ephemeral consumer may go unused before removal, nanoseconds.
    public var inactiveThreshold: Int64 = 60_000_000_000

    public init(durableName: String? = nil, deliverPolicy: DeliverPolicy = .all, ackPolicy: AckPolicy = .explicit,
                filterSubject: String? = nil) {
        self.durableName = durableName
        self.deliverPolicy = deliverPolicy
        self.ackPolicy = ackPolicy
        self.filterSubject = filterSubject
    }

    enum CodingKeys: String, CodingKey {
        case durableName = "durable_name", deliverPolicy = "deliver_policy", optStartSeq = "opt_start_seq"
        case optStartTime = "opt_start_time", ackPolicy = "ack_policy", ackWait = "ack_wait"
        case filterSubject = "filter_subject", maxAckPending = "max_ack_pending", inactiveThreshold = "inactive_threshold"
        case replayPolicy = "replay_policy"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(durableName, forKey: .durableName)
        switch deliverPolicy {
        case .all: try c.encode("all", forKey: .deliverPolicy)
        case .last: try c.encode("last", forKey: .deliverPolicy)
        case .new: try c.encode("new", forKey: .deliverPolicy)
        case .byStartSequence(let sequence):
            try c.encode("by_start_sequence", forKey: .deliverPolicy)
            try c.encode(sequence, forKey: .optStartSeq)
        case .byStartTime(let microseconds):
            try c.encode("by_start_time", forKey: .deliverPolicy)
            try c.encode(Self.rfc3339(microseconds: microseconds), forKey: .optStartTime)
        }
        try c.encode(ackPolicy.rawValue, forKey: .ackPolicy)
        if ackPolicy != .none {
            try c.encode(ackWait, forKey: .ackWait)
            try c.encode(maxAckPending, forKey: .maxAckPending)
        }
        try c.encodeIfPresent(filterSubject, forKey: .filterSubject)
        if durableName == nil { try c.encode(inactiveThreshold, forKey: .inactiveThreshold) }
        try c.encode("instant", forKey: .replayPolicy)
    }

    /// `2024-05-01T10:00:00.123456Z`: the time format the API reads.
    static func rfc3339(microseconds: Int64) -> String { TimeText.rfc3339(microseconds) }
}

/// What the server says about a consumer (when it creates one, and to
/// `$JS.API.CONSUMER.INFO`).
public struct ConsumerInfo: Sendable, Equatable, Decodable {
    /// The consumer's name (generated for an ephemeral one).
    public var name: String
    public var streamName: String
    /// Messages matching the consumer not yet delivered.
    public var numPending: UInt64
    /// Messages delivered and not yet acknowledged.
    public var numAckPending: UInt64
    /// The stream sequence of the newest message delivered.
    public var deliveredStreamSequence: UInt64
    /// The stream sequence through which everything is acknowledged.
    public var ackFloorStreamSequence: UInt64

    public init(name: String, streamName: String, numPending: UInt64, numAckPending: UInt64 = 0,
                deliveredStreamSequence: UInt64 = 0, ackFloorStreamSequence: UInt64 = 0) {
        self.name = name
        self.streamName = streamName
        self.numPending = numPending
        self.numAckPending = numAckPending
        self.deliveredStreamSequence = deliveredStreamSequence
        self.ackFloorStreamSequence = ackFloorStreamSequence
    }

    struct SequencePair: Decodable {
        var stream_seq: UInt64?
    }

    enum CodingKeys: String, CodingKey {
        case name, streamName = "stream_name", numPending = "num_pending", numAckPending = "num_ack_pending"
        case delivered, ackFloor = "ack_floor"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        streamName = try c.decode(String.self, forKey: .streamName)
        numPending = try c.decodeIfPresent(UInt64.self, forKey: .numPending) ?? 0
        numAckPending = try c.decodeIfPresent(UInt64.self, forKey: .numAckPending) ?? 0
        deliveredStreamSequence = try c.decodeIfPresent(SequencePair.self, forKey: .delivered)?.stream_seq ?? 0
        ackFloorStreamSequence = try c.decodeIfPresent(SequencePair.self, forKey: .ackFloor)?.stream_seq ?? 0
    }
}
