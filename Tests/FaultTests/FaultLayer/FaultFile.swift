import Synchronization
@testable import SegmentLog

/// An open file of a ``FaultFileSystem``: a handle on its model page cache.
/// Several handles on one path share one cache entry, as file descriptors
/// share one inode.
final class FaultFile: LogFile {
    let fileSystem: FaultFileSystem
    let id: Int
    let path: String

    init(fileSystem: FaultFileSystem, id: Int, path: String) {
        self.fileSystem = fileSystem
        self.id = id
        self.path = path
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int {
        try fileSystem.read(id, path: path, into: buffer, at: offset)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) {
        try fileSystem.write(id, path: path, bytes, at: offset)
    }

    func sync() throws(SegmentLogError) { try fileSystem.sync(id, path: path) }

    func truncate(to length: Int64) throws(SegmentLogError) { try fileSystem.truncate(id, path: path, to: length) }

    func size() throws(SegmentLogError) -> Int64 { try fileSystem.size(id, path: path) }
}

/// The writer lock taken through a ``FaultFileSystem``: it holds the real
/// flock until the log lets go of it or the file system "crashes", which
/// releases it as a dying process would.
final class FaultLockHandle: LogFile {
    let path: String
    private let held: Mutex<(any LogFile)?>

    init(path: String, lock: any LogFile) {
        self.path = path
        held = Mutex(lock)
    }

    func release() { held.withLock { $0 = nil } }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SegmentLogError) -> Int { 0 }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SegmentLogError) {
        throw .invalidArgument("the lock file is not written")
    }
    func sync() throws(SegmentLogError) {}
    func truncate(to length: Int64) throws(SegmentLogError) {}
    func size() throws(SegmentLogError) -> Int64 { 0 }
}
