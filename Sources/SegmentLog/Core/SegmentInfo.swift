/// What a segment holds, from its index (or the running index of the active
/// segment): enough to plan reads, retention and `signallog info` without
/// touching the segment's body.
public struct SegmentInfo: Sendable, Equatable {
    public var path: String
    public var baseSequence: UInt64
    /// Nil while the segment is empty.
    public var lastSequence: UInt64?
    public var recordCount: UInt64
    public var batchCount: UInt64
    /// Append-time range in microseconds; nil while empty.
    public var timeRange: ClosedRange<Int64>?
    /// Event-time range in microseconds (append time for records without
    /// an event time); nil while empty. For a segment whose index file is
    /// format version 1 it is the append-time range.
    public var eventTimeRange: ClosedRange<Int64>?
    /// How far the records' event times lie from their append times: the
    /// least and greatest of event time minus append time, in microseconds
    /// (negative: the event happened before the log stored it); nil while empty.
    public var eventLeadRange: ClosedRange<Int64>?
    /// Bytes of encoded records before compression.
    public var rawBytes: UInt64
    /// Bytes of the segment file that hold valid batches and the header.
    public var fileBytes: Int64
    /// Bytes of valid batches, headers included: ``fileBytes`` without the segment header.
    public var storedBytes: Int64 { max(0, fileBytes - Int64(SegmentFormat.segmentHeaderSize)) }
    public var createdAt: Int64
    /// False for the segment appends currently go to.
    public var isSealed: Bool
    public var recordsByKind: [UInt8: UInt64]
    public var recordsByPartition: [String: UInt64]
    /// Unreadable stretches found when the segment was opened.
    public var damage: [DamagedRange]

    init(_ slot: SegmentSlot) {
        let index = slot.index
        path = slot.path
        baseSequence = index.baseSequence
        lastSequence = index.lastSequence
        recordCount = index.recordCount
        batchCount = index.batchCount
        timeRange = index.isEmpty ? nil : index.minTimestamp...index.maxTimestamp
        eventTimeRange = index.isEmpty ? nil : index.minEventTime...index.maxEventTime
        eventLeadRange = index.isEmpty ? nil : index.minEventLead...index.maxEventLead
        rawBytes = index.rawBytes
        fileBytes = index.length
        createdAt = index.createdAt
        isSealed = slot.isSealed
        recordsByKind = index.kindCounts
        recordsByPartition = index.partitions.recordCountsByName
        damage = slot.damage
    }
}

/// What opening a log found and did.
public struct RecoveryReport: Sendable, Equatable {
    /// A torn or garbage tail cut from the active segment (or, read-only, ignored).
    public struct Tail: Sendable, Equatable {
        public var path: String
        public var offset: Int64
        public var bytes: Int64
        public var reason: String
    }
    public var truncatedTail: Tail?
    /// Index files that were missing or damaged and were rebuilt from their segment.
    public var rebuiltIndexes: [String] = []
    /// Leftover files of an interrupted write (temporary files, orphaned indexes) that were removed.
    public var removedFiles: [String] = []
    /// Damage found in the middle of the log (only with ``CorruptionPolicy/report`` or read-only).
    public var damage: [DamagedRange] = []
    /// Makes an empty report: nothing found, nothing done.
    public init() {}
}

/// A segment as the open log tracks it.
struct SegmentSlot {
    var path: String
    /// Open only for the segment being appended to (or followed); sealed
    /// segments are opened by readers when they visit them, so a long log
    /// does not hold a descriptor per segment.
    var file: (any LogFile)?
    var index: SegmentIndex
    var isSealed: Bool
    /// The format version of the segment's header: a writer appends only
    /// to a segment of the version it writes.
    var version: UInt16 = SegmentFormat.version
    /// Damage found when the segment was opened, in file order; readers
    /// report each piece that their query could have matched.
    var damage: [DamagedRange] = []

    /// One past the highest sequence number this segment's files account
    /// for: its readable records, and the records that its damage (or its
    /// index file) says it held but cannot be read.
    var describedEnd: UInt64 {
        damage.reduce(index.nextSequence) { max($0, $1.missingSequences.upperBound) }
    }
}
