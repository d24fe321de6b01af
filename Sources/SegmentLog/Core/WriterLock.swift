
/// The exclusive right to change a log directory, held on its own, apart
/// from any open log.
///
/// A tool that reads a log, decides what to change and then changes it
/// (repair, retention on demand) must not let a writer in between its first
/// read and its last change: whatever the writer appended would not be in
/// the plan, and applying the plan could lose it. Such a tool acquires the
/// lock before it reads anything, opens the log for writing under it with
/// ``LogOptions/writerLock`` as often as it needs, and releases it when it
/// is done. While it is held, every other writer — in this process or
/// another — is refused with ``SegmentLogError/locked(path:)``, exactly as
/// if a log were open for writing.
///
/// ```swift
/// let lock = try WriterLock.acquire(directory: path)
/// defer { lock.release() }
/// let snapshot = try SegmentLog.openReadOnly(directory: path)   // plan from this…
/// var options = LogOptions()
/// options.writerLock = lock
/// let log = try SegmentLog.open(directory: path, options: options) // …and apply it here
/// ```
public final class WriterLock: Sendable {
    /// The log directory the lock guards, as it was passed to ``acquire(directory:options:)``.
    public let directory: String
    private let held: LockedValue<(any LogFile)?>

    private init(directory: String, held: any LogFile) {
        self.directory = directory
        self.held = LockedValue(held)
    }

    /// Takes the writer lock of the existing log directory `directory`
    /// without opening the log. Throws ``SegmentLogError/locked(path:)`` if a
    /// writer (or another holder of this lock) has it.
    ///
    /// - Parameters:
    ///   - directory: the log directory whose lock to take.
    ///   - options: supplies the file system to lock through.
    /// - Returns: the held lock; call ``release()`` when done.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/locked(path:)`` when a
    ///   writer or another holder has the lock;
    ///   ``SegmentLogError/io(operation:path:errno:)`` when the lock file cannot be
    ///   opened or locked (for example when the directory does not exist).
    public static func acquire(directory: String, options: LogOptions = LogOptions()) throws(SegmentLogError) -> WriterLock {
        let lock = try options.fileSystem.lockExclusive(directory + "/" + SegmentFormat.lockName)
        return WriterLock(directory: directory, held: lock)
    }

    /// Whether the lock is still held (true until ``release()``).
    public var isHeld: Bool { held.withLock { $0 != nil } }

    /// Lets other writers in. Logs opened under the lock must be closed
    /// first. Calling it again does nothing.
    public func release() {
        // Dropping the lock file closes its descriptors, which releases the flock locks.
        held.withLock { $0 = nil }
    }
}
