/// One record as stored in the log: the log knows kinds, not signals.
public struct LogRecord: Sendable, Equatable {
    /// Gap-free, increasing position in the log (the reader's cursor).
    public var sequence: UInt64
    /// Append time in microseconds since the Unix epoch; never decreases.
    public var timestamp: Int64
    /// A small integer the layer above assigns meaning to.
    public var kind: UInt8
    /// The partition the record belongs to (may be empty).
    public var partition: String
    public var payload: [UInt8]

    public init(sequence: UInt64, timestamp: Int64, kind: UInt8, partition: String, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.kind = kind
        self.partition = partition
        self.payload = payload
    }
}

/// A record to append; the log assigns its sequence number and timestamp.
public struct AppendRecord: Sendable, Equatable {
    public var kind: UInt8
    public var partition: String
    public var payload: [UInt8]

    public init(kind: UInt8, partition: String, payload: [UInt8]) {
        self.kind = kind
        self.partition = partition
        self.payload = payload
    }
}

/// Where an append landed.
public struct AppendResult: Sendable, Equatable {
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    /// The append timestamp every record of the batch carries.
    public var timestamp: Int64
}
