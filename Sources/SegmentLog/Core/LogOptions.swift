/// Upper bounds on sizes, applied when writing and checked again when reading,
/// so a damaged or hostile file cannot make the reader allocate without bound.
public struct LogLimits: Sendable, Equatable {
    /// Largest payload of one record.
    public var maxRecordBytes: Int = 32 << 20
    /// Largest encoded (uncompressed) batch.
    public var maxBatchBytes: Int = 64 << 20
    /// Largest index file.
    public var maxIndexBytes: Int = 256 << 20
    /// Makes the default limits.
    public init() {}
}

/// When appended records reach stable storage.
public enum Durability: Sendable, Equatable {
    /// `write` only; the kernel flushes when it likes. Survives a process
    /// crash, not a power loss.
    case os
    /// A flusher syncs at most this many milliseconds after a write.
    /// ``SegmentLog/waitUntilDurable(through:)`` waits for it.
    case interval(milliseconds: Int)
    /// Every append returns only after its batch is synced; concurrent
    /// appenders share one fsync (group commit).
    case always
}

/// What opening does when it finds damage that a crash cannot explain.
public enum CorruptionPolicy: Sendable, Equatable {
    /// Throw ``SegmentLogError/corruption(path:offset:reason:)`` (the default
    /// for writable opens): nothing acknowledged is dropped behind your back.
    case refuse
    /// Open anyway, listing the damage in ``RecoveryReport/damage``; readers
    /// throw when they reach it. The writer changes no damaged file, never
    /// appends to a damaged segment, and starts after the highest sequence
    /// number any file describes; when that is unknown it refuses anyway.
    case report
}

/// Settings chosen when a log is opened.
public struct LogOptions: Sendable {
    /// A segment is sealed once it would grow past this many bytes.
    public var segmentMaxBytes: Int64 = 128 << 20
    /// A segment is sealed once its first record is this old (microseconds).
    public var segmentMaxAge: Int64 = 3_600_000_000
    public var durability: Durability = .os
    public var limits = LogLimits()
    /// LZ4 acceleration for batch bodies (default 4): 1 is LZ4's own
    /// default and compresses best; higher values compress faster and a
    /// little less (values outside 1...65,537 are clamped). On signal-shaped
    /// records 4 ingests about 14 % faster than 1 for about 1 % more bytes
    /// (docs/benchmarks.md). Every value writes ordinary LZ4 blocks, so it
    /// can change from one open to the next.
    public var compressionAcceleration: Int = 4
    /// Each time the active segment grows by this many bytes, the kernel is
    /// asked to start writing them to storage (0: never). Sealing a segment
    /// waits for its data to be durable; without this, a full segment's worth
    /// of dirty pages can be written at that moment, stalling appends for
    /// tens of milliseconds. Durability does not change either way.
    public var writebackIntervalBytes: Int64 = 8 << 20
    /// A time-index entry is written at least every this many bytes of segment.
    public var indexIntervalBytes: Int = 4096
    /// What to do with damage in the middle of the log. Read-only opens always report.
    public var corruptionPolicy: CorruptionPolicy = .refuse
    /// The source of append timestamps and segment ages.
    public var clock: any LogClock = SystemClock()
    /// A writer lock the caller already holds for this directory (see
    /// ``WriterLock``): a writable open uses it instead of taking the lock,
    /// and closing the log leaves it held. Nil (the default): the open takes
    /// the lock and the close releases it. Read-only opens ignore it.
    public var writerLock: WriterLock?
    /// Whether batches under 4 KiB are compressed through a reused LZ4
    /// stream instead of a fresh table each time (about 0.2 µs less per
    /// one-record append; the blocks differ in bytes, not in format). The
    /// fixture generator turns it off, so that regenerated fixtures match
    /// the committed ones byte for byte.
    package var reusesCompressionStream = true
    /// The file layer; tests substitute one that injects faults.
    package var fileSystem: any LogFileSystem = PosixFileSystem()

    /// Makes the default options.
    public init() {}
}
