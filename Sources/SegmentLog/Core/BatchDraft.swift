
/// Records encoded and compressed ahead of their append.
///
/// ``SegmentLog/appendBatch(_:)`` encodes and compresses while it holds the
/// log's lock. A caller that keeps state in the log's order holds its own
/// lock across each append too, and then everything that lock guards waits
/// for that work. A draft moves it out: add the records and call
/// ``compress()`` with no lock held, then ``SegmentLog/append(_:at:)`` the
/// draft under your lock; the append itself only stamps the header,
/// checksums and writes.
///
/// A draft has one user at a time. Appending empties it, so it can be
/// filled again; dropping it hands its buffers back to the log.
public final class BatchDraft {
    let encoder: BatchEncoder
    private(set) var pending: [PendingRecord] = []
    private let pool: EncoderPool

    init(encoder: BatchEncoder, pool: EncoderPool) {
        self.encoder = encoder
        self.pool = pool
    }

    deinit { pool.put(encoder) }

    /// Adds a record; its payload bytes are copied at once. Throws, adding
    /// nothing, when a record or the batch would break the log's limits.
    /// `eventTime` is when the record's event happened, if known (see
    /// ``LogRecord/eventTime``); event-time queries are served by it.
    ///
    /// - Parameters:
    ///   - kind: the record's kind, a byte the caller defines.
    ///   - partition: the record's partition key (at most 65,535 UTF-8 bytes).
    ///   - payload: the record's bytes, copied before the call returns.
    ///   - eventTime: when the record's event happened, microseconds; nil if unknown.
    /// - Throws: ``SegmentLogError/limitExceeded(what:value:limit:)`` when the
    ///   partition key, the payload or the draft's batch exceeds the log's limits;
    ///   the draft is then unchanged.
    public func add(kind: UInt8, partition: String, payload: UnsafeRawBufferPointer, eventTime: Int64? = nil) throws(SegmentLogError) {
        pending.append(try encoder.add(kind: kind, partition: partition, payload: payload, eventTime: eventTime))
    }

    /// Adds a record whose payload is an array.
    ///
    /// - Parameters:
    ///   - kind: the record's kind, a byte the caller defines.
    ///   - partition: the record's partition key (at most 65,535 UTF-8 bytes).
    ///   - payload: the record's bytes, copied before the call returns.
    ///   - eventTime: when the record's event happened, microseconds; nil if unknown.
    /// - Throws: ``SegmentLogError/limitExceeded(what:value:limit:)`` when the
    ///   partition key, the payload or the draft's batch exceeds the log's limits;
    ///   the draft is then unchanged.
    public func add(kind: UInt8, partition: String, payload: [UInt8], eventTime: Int64? = nil) throws(SegmentLogError) {
        try payload.withBytes { (bytes) throws(SegmentLogError) in try add(kind: kind, partition: partition, payload: bytes, eventTime: eventTime) }
    }

    /// Records added so far.
    public var count: Int { encoder.recordCount }

    /// Compresses the records now (appending does it otherwise). Adding a
    /// record afterwards makes the next append compress again.
    public func compress() { encoder.compress() }

    /// Forgets every record added.
    public func removeAll() {
        encoder.reset()
        pending.removeAll(keepingCapacity: true)
    }
}

/// Encoders of dropped drafts, kept for the next ones (a draft's buffers
/// are hundreds of kilobytes once used; allocating them per append costs
/// page faults).
final class EncoderPool: Sendable {
    private let free = LockedValue<[BatchEncoder]>([])
    private let limits: LogLimits
    private let acceleration: Int
    private let reusesStream: Bool
    /// Idle encoders kept at most.
    static let capacity = 4

    init(limits: LogLimits, acceleration: Int, reusesStream: Bool) {
        self.limits = limits
        self.acceleration = acceleration
        self.reusesStream = reusesStream
    }

    func take() -> BatchEncoder {
        if let encoder = free.withLock({ $0.popLast() }) { return encoder }
        return BatchEncoder(limits: limits, acceleration: acceleration, reusesStream: reusesStream)
    }

    func put(_ encoder: BatchEncoder) {
        encoder.reset()
        free.withLock { free in
            if free.count < Self.capacity { free.append(encoder) }
        }
    }
}
