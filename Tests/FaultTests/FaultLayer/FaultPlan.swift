#if canImport(Glibc)
import Glibc
#endif

/// Which faults a ``FaultFileSystem`` injects. Counts are 1-based and cover
/// every file of the file system, so a test can aim at "the third fsync".
struct FaultPlan: Sendable {
    /// The file sync (fdatasync) with this number fails with `syncErrno`; the
    /// model kernel then writes back only some of the dirty data and marks it
    /// all clean, as Linux does, so a later sync reports success.
    var failingSync: Int?
    var syncErrno: Int32 = EIO
    /// The write with this number transfers part of its bytes and then fails
    /// with `writeErrno` (a short write the caller cannot complete).
    var failingWrite: Int?
    var writeErrno: Int32 = EIO
    /// Total bytes the files may hold; a write that would pass it writes what
    /// fits and then fails with ENOSPC, as a full disk does.
    var capacityBytes: Int?
    /// The directory sync with this number fails with EIO.
    var failingDirectorySync: Int?
}
