/// What one message of a mirror carries.
public enum MirrorMode: String, Sendable, CaseIterable {
    /// One message per record, on `<prefix>.<log>.<kind>.<partition>`.
    case record
    /// One message per log batch, its bytes as on disk, on `<prefix>.<log>.batch`.
    case batch
}

/// What a ``LogMirror`` ships where.
public struct MirrorOptions: Sendable {
    public var mode: MirrorMode = .record
    /// The stream that receives the records.
    public var stream: String
    /// How the log's records are named (prefix and log id).
    public var subjects: LogSubjects
    /// Keep shipping as a writer appends (until the task is cancelled);
    /// otherwise stop once everything the log held at the last refresh is acked.
    public var follow: Bool = false
    /// Publishes sent and not yet acknowledged, at most.
    public var maxInFlight: Int = 1024
    /// How often a caught-up mirror looks for new records when following.
    public var pollInterval: Duration = .milliseconds(100)
    /// Create the stream (capturing `<prefix>.>`) when it does not exist.
    public var createStream: Bool = true
    /// Replicas of a stream the mirror creates (3 or 5 in a cluster).
    public var replicas: Int = 1
    /// The longest pause between retries while no server answers.
    public var maxBackoff: Duration = .seconds(2)
    /// Give up (``MirrorError/unavailable(stream:seconds:lastError:)``)
    /// after this long without an acknowledgement; nil retries for ever.
    public var giveUpAfter: Duration?
    /// How long each publish waits for its ack before it is retried.
    public var ackTimeout: Duration = .seconds(5)

    public init(stream: String, subjects: LogSubjects) {
        self.stream = stream
        self.subjects = subjects
    }
}

/// Where a mirror stands.
public struct MirrorProgress: Sendable, Equatable {
    /// The log sequence after the last one the stream has acknowledged.
    public var nextSequence: UInt64
    /// Records the stream stored in this run.
    public var shipped: Int = 0
    /// Records whose publish the stream acknowledged as a duplicate (a resend of what it had).
    public var duplicates: Int = 0
    /// Times the mirror backed off and resent after a failure.
    public var retries: Int = 0
    /// The append time of the newest record the stream holds (nil before
    /// the first is known).
    public var mirroredTime: Int64?
    /// How far behind the log the stream was at the end of the last pass.
    public var lag = MirrorLag(records: 0, seconds: 0)

    public init(nextSequence: UInt64) { self.nextSequence = nextSequence }
}
