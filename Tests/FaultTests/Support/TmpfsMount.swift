import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted for one test, for a real ENOSPC. Mounting needs
/// root (or CAP_SYS_ADMIN); ``isAvailable`` probes once so the test can be
/// skipped with a clear reason where it cannot run.
final class TmpfsMount {
    let path: String
    private let directory: TemporaryDirectory

    init?(sizeBytes: Int) {
        directory = TemporaryDirectory("tmpfs")
        path = directory.child("mnt")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(sizeBytes),mode=0700") == 0 else { return nil }
    }

    deinit { umount2(path, Int32(MNT_DETACH)) }

    /// Whether this process may mount a tmpfs (tried once, then unmounted).
    static let isAvailable: Bool = TmpfsMount(sizeBytes: 64 * 1024) != nil
}
