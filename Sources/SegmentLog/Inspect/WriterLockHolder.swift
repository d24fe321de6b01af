#if canImport(Glibc)
import Glibc
#endif

extension WriterLock {
    /// The process holding the writer lock of `directory`, read from
    /// `/proc/locks` (which lists `flock` locks without anyone having to
    /// take one), so a read-only tool can tell a live writer's half-written
    /// batch from a crash's torn tail. `0` when a process holds it but its
    /// id is not known; nil when the lock is free or cannot be checked.
    ///
    /// - Parameter directory: the log directory whose lock to look up.
    /// - Returns: the holder's process id, `0` when it is held by an unknown
    ///   process, or nil.
    public static func holder(directory: String) -> Int32? {
        var info = stat()
        guard stat(directory + "/" + SegmentFormat.lockName, &info) == 0 else { return nil }
        guard let file = fopen("/proc/locks", "r") else { return nil }
        defer { fclose(file) }
        let inode = UInt64(info.st_ino)
        let major = UInt32((info.st_dev >> 8) & 0xfff) | UInt32((info.st_dev >> 32) & ~0xfff)
        let minor = UInt32(info.st_dev & 0xff) | UInt32((info.st_dev >> 12) & ~0xff)
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let length = line.firstIndex(of: 0) ?? line.count
            let text = String(decoding: line[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, !fields.contains("->") else { continue }
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
            let id = fields[5].split(separator: ":")
            guard id.count == 3, UInt64(id[2]) == inode,
                  UInt32(id[0], radix: 16) == major, UInt32(id[1], radix: 16) == minor else { continue }
            return Int32(fields[4]) ?? 0
        }
        return nil
    }
}
