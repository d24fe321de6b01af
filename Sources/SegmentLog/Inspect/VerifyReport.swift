/// What ``SegmentLog/verify(directory:writerIsLive:options:)`` found: a
/// verdict per segment and index file, the totals, and every problem.
public struct VerifyReport: Sendable {
    /// The verdict on a whole log.
    public enum Status: String, Sendable {
        /// No errors and no warnings (notes allowed).
        case clean
        /// Warnings but no errors.
        case warnings
        /// At least one error.
        case corrupt
    }

    /// What became of a segment's index file.
    public enum IndexState: Sendable, Equatable {
        /// There is none.
        case missing
        /// It describes its segment exactly.
        case matches
        /// An active segment's index from a clean close or durable point
        /// that describes exactly the first `length` bytes.
        case prefix(length: Int64)
        /// It cannot be read or fails a check of the format.
        case unreadable
        /// It can be read but contradicts its segment.
        case mismatched
        /// Its segment is damaged, so it was not compared.
        case notCompared
    }

    /// One segment file and its index.
    public struct Segment: Sendable, Equatable {
        /// The segment's file name.
        public var file: String
        public var baseSequence: UInt64
        /// Whether this is the last (active) segment.
        public var isActive: Bool
        /// Whether the file could be read at all.
        public var isReadable: Bool
        /// Readable batches and records, as every reader sees them.
        public var batches: UInt64
        public var records: UInt64
        /// The last readable sequence number, if any.
        public var lastSequence: UInt64?
        /// The file's size.
        public var bytes: Int64
        public var index: IndexState
    }

    public var directory: String
    /// Whether a process held the writer lock (its tail may be mid-write).
    public var writerIsLive: Bool
    public var segments: [Segment] = []
    /// Every problem, in the order found (foreign and leftover files first, then segment by segment).
    public var problems: [VerifyProblem] = []
    /// Bytes of the segment and index files read.
    public var bytes: Int64 = 0
    /// Placeholder records (kind 0) a repair wrote.
    public var placeholders: UInt64 = 0

    /// The segments' readable batches and records.
    public var batches: UInt64 { segments.reduce(0) { $0 + $1.batches } }
    public var records: UInt64 { segments.reduce(0) { $0 + $1.records } }
    public var errors: Int { problems.filter { $0.severity == .error }.count }
    public var warnings: Int { problems.filter { $0.severity == .warning }.count }
    public var status: Status { errors > 0 ? .corrupt : warnings > 0 ? .warnings : .clean }

    /// What the scan of each segment found, for planning a repair.
    var findings: [SegmentFindings] = []
    /// The listing verified.
    var listing: LogDirectoryListing
}

/// What verifying one segment found, in the detail a repair plan needs.
struct SegmentFindings {
    var base: UInt64
    var path: String
    var isLast: Bool
    var hasIndexFile: Bool
    /// Nil when the file could not be read.
    var judged: SegmentJudgement?
    /// The index file, if it passed every check of the format.
    var index: SegmentIndex?
    /// Why the index file cannot be used (unreadable or impossible).
    var indexProblem: String?
    /// The index file can be read but does not describe its segment.
    var indexStale = false
    /// For the active segment: records its durable point says were synced
    /// but that the segment no longer holds readably.
    var lostBeforeDurablePoint: (offset: Int64, missing: Range<UInt64>)?

    var scan: SegmentScanner.Result? { judged?.scan }
    var batches: [(offset: Int64, header: BatchHeader)] { judged?.scan.batches ?? [] }
    var lastSequence: UInt64? { judged?.scan.index.lastSequence }
    var minTimestamp: Int64? { judged.flatMap { $0.scan.index.isEmpty ? nil : $0.scan.index.minTimestamp } }
    var maxTimestamp: Int64? { judged.flatMap { $0.scan.index.isEmpty ? nil : $0.scan.index.maxTimestamp } }
}
