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
