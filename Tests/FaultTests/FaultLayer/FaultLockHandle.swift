import Synchronization
@testable import SegmentLog

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
