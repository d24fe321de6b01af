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
    /// When the event the record describes happened, as the layer above
    /// told the log at append (a signal's own timestamp), in microseconds;
    /// nil for records appended without one. Event-time queries
    /// (``LogQuery/timeAxis``) select by it, and by the append time where
    /// it is nil.
    public var eventTime: Int64?

    /// Makes a record as a reader returns it.
    ///
    /// - Parameters:
    ///   - sequence: the record's position in the log.
    ///   - timestamp: its append time, microseconds since the epoch.
    ///   - kind: its kind.
    ///   - partition: its partition key.
    ///   - payload: its bytes.
    ///   - eventTime: when its event happened, microseconds; nil if unknown.
    public init(sequence: UInt64, timestamp: Int64, kind: UInt8, partition: String, payload: [UInt8], eventTime: Int64? = nil) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.kind = kind
        self.partition = partition
        self.payload = payload
        self.eventTime = eventTime
    }

    /// The time event-time queries select the record by: its event time,
    /// or its append time when it has none.
    public var eventTimeOrAppendTime: Int64 { eventTime ?? timestamp }
}

/// A record to append; the log assigns its sequence number and timestamp.
public struct AppendRecord: Sendable, Equatable {
    public var kind: UInt8
    public var partition: String
    public var payload: [UInt8]
    /// The record's event time, if it has one (see ``LogRecord/eventTime``).
    public var eventTime: Int64?

    /// Makes a record to append.
    ///
    /// - Parameters:
    ///   - kind: the record's kind, a byte the caller defines.
    ///   - partition: its partition key (at most 65,535 UTF-8 bytes).
    ///   - payload: its bytes.
    ///   - eventTime: when its event happened, microseconds; nil if unknown.
    public init(kind: UInt8, partition: String, payload: [UInt8], eventTime: Int64? = nil) {
        self.kind = kind
        self.partition = partition
        self.payload = payload
        self.eventTime = eventTime
    }
}

/// Where an append landed.
public struct AppendResult: Sendable, Equatable {
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    /// The append timestamp every record of the batch carries.
    public var timestamp: Int64
}
