/// The narrow file-system interface the engine does all its I/O through.
///
/// Production uses ``PosixFileSystem``; fault-injection tests substitute a
/// layer that fails, shortens or drops writes.
package protocol LogFileSystem: Sendable {
    /// Opens (and with `.create`, creates with mode 0600) a regular file.
    func open(_ path: String, mode: FileOpenMode) throws(SegmentLogError) -> any LogFile
    /// Creates a directory with mode 0700 (and its missing parents).
    func createDirectory(_ path: String) throws(SegmentLogError)
    /// The entries of a directory, without following symlinks.
    func list(_ path: String) throws(SegmentLogError) -> [DirectoryEntry]
    func rename(_ from: String, to: String) throws(SegmentLogError)
    /// Removes a file or an empty directory (a missing one is not an error).
    func remove(_ path: String) throws(SegmentLogError)
    /// fsync of a directory, so entries created or renamed in it survive power loss.
    func syncDirectory(_ path: String) throws(SegmentLogError)
    /// Takes an exclusive, non-blocking lock on `path` (created if missing, never deleted).
    func lockExclusive(_ path: String) throws(SegmentLogError) -> any LogFile
}

/// How ``LogFileSystem/open(_:mode:)`` opens a file.
package enum FileOpenMode: Sendable {
    case readOnly
    case readWrite
    /// Create a new file (failing if it exists) for reading and writing.
    case createNew
    /// Create or truncate.
    case createOrTruncate
}

/// One name in a directory listing.
package struct DirectoryEntry: Sendable, Equatable {
    package enum Kind: Sendable { case regular, directory, symlink, other }
    package var name: String
    package var kind: Kind
    /// Its size in bytes (0 when not known).
    package var size: Int64 = 0
    /// What it is, for messages about a file of the wrong type ("a FIFO", "a directory"…).
    package var typeDescription: String = ""

    package init(name: String, kind: Kind, size: Int64 = 0, typeDescription: String = "") {
        self.name = name
        self.kind = kind
        self.size = size
        self.typeDescription = typeDescription
    }
}

/// An open file. Reads and writes are positional, so readers and the writer
/// share nothing but the kernel's page cache.
package protocol LogFile: AnyObject, Sendable {
    var path: String { get }
    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int
    /// Writes all of `bytes` at `offset` (retrying short writes and EINTR).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError)
    /// fdatasync: the file's data (and size) reach stable storage.
    func sync() throws(SegmentLogError)
    func truncate(to length: Int64) throws(SegmentLogError)
    func size() throws(SegmentLogError) -> Int64
    /// Asks the kernel to start writing `length` bytes at `offset` to
    /// storage without waiting, so that a later ``sync()`` has little left
    /// to do. A hint: it promises nothing, and an I/O error surfaces at the
    /// next ``sync()``.
    func startWriteback(offset: Int64, length: Int64)
}

extension LogFile {
    /// Files that model storage themselves ignore the hint.
    package func startWriteback(offset: Int64, length: Int64) {}
}
