/// Which clock a query's ``LogQuery/since`` and ``LogQuery/until`` bound.
public enum TimeAxis: String, Sendable, Equatable, CaseIterable {
    /// When the log stored the record (never decreases along the log).
    case append
    /// When the record's event happened (``LogRecord/eventTime``, or the
    /// append time for records without one), in any order along the log.
    case event
}

/// Which records a ``LogReader`` returns. Every bound is optional; the
/// default reads the whole log in order.
public struct LogQuery: Sendable, Equatable {
    /// First sequence number to return.
    public var fromSequence: UInt64
    /// Last sequence number to return (inclusive).
    public var throughSequence: UInt64?
    /// Earliest time to return (inclusive, microseconds since the epoch), on ``timeAxis``.
    public var since: Int64?
    /// Time to stop before (exclusive, microseconds since the epoch), on ``timeAxis``.
    public var until: Int64?
    /// Whether ``since`` and ``until`` bound append time (the default) or
    /// event time. Both are served by the segments' indexes: event time by
    /// each block's event-time range, so an event-time query reads only
    /// blocks that can hold a match, whatever order events were appended in.
    public var timeAxis: TimeAxis
    /// Only records of these partitions.
    public var partitions: Set<String>?
    /// Only records of these kinds.
    public var kinds: Set<UInt8>?

    /// Makes a query; every bound left at its default does not apply.
    ///
    /// - Parameters:
    ///   - fromSequence: the first sequence number to return.
    ///   - throughSequence: the last sequence number to return (inclusive).
    ///   - since: the earliest time to return (inclusive, microseconds), on `timeAxis`.
    ///   - until: the time to stop before (exclusive, microseconds), on `timeAxis`.
    ///   - partitions: only records of these partitions.
    ///   - kinds: only records of these kinds.
    ///   - timeAxis: whether `since` and `until` bound append time or event time.
    public init(
        fromSequence: UInt64 = 0, throughSequence: UInt64? = nil, since: Int64? = nil, until: Int64? = nil,
        partitions: Set<String>? = nil, kinds: Set<UInt8>? = nil, timeAxis: TimeAxis = .append
    ) {
        self.timeAxis = timeAxis
        self.fromSequence = fromSequence
        self.throughSequence = throughSequence
        self.since = since
        self.until = until
        self.partitions = partitions
        self.kinds = kinds
    }

    /// Whether `record` satisfies every bound (the reader applies this after
    /// the indexes have narrowed the batches to read).
    /// `eventTime` is the record's stored event time, nil if it has none.
    package func matches(sequence: UInt64, timestamp: Int64, kind: UInt8, eventTime: Int64? = nil) -> Bool {
        if sequence < fromSequence { return false }
        if let throughSequence, sequence > throughSequence { return false }
        let time = timeAxis == .event ? eventTime ?? timestamp : timestamp
        if let since, time < since { return false }
        if let until, time >= until { return false }
        if let kinds, !kinds.contains(kind) { return false }
        return true
    }
}

/// What a reader has cost so far, to check that indexes keep reads narrow.
public struct ReadStatistics: Sendable, Equatable {
    /// Bytes fetched from segment files.
    public var bytesRead: Int64 = 0
    /// Batches whose checksum was verified and body decoded.
    public var batchesDecoded: Int = 0
    /// Segments the reader looked inside (others were skipped by their index).
    public var segmentsVisited: Int = 0
    /// Makes statistics with every count at zero.
    public init() {}
}
