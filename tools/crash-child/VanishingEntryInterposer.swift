#if canImport(Glibc)
import Glibc
#endif

/// Replaces `lstat` for the whole child process so that, when enabled, paths
/// ending in a chosen suffix look already gone (ENOENT): what a directory
/// listing sees when a writer renames `NNN.seg.tmp` to `NNN.seg` between
/// `readdir` and `lstat`. This makes that race, which a reader beside a live
/// writer hits now and then, happen every time.
enum VanishingEntryInterposer {
    nonisolated(unsafe) static var suffix: String?

    typealias Stat = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<stat>?) -> Int32
    nonisolated(unsafe) static let realLstat: Stat = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: -1), "lstat"), to: Stat.self)

    static func enable(suffix: String) {
        _ = realLstat
        self.suffix = suffix
    }
}

@_cdecl("lstat")
func interposedLstat(_ path: UnsafePointer<CChar>?, _ info: UnsafeMutablePointer<stat>?) -> Int32 {
    if let suffix = VanishingEntryInterposer.suffix, let path, String(cString: path).hasSuffix(suffix) {
        errno = ENOENT
        return -1
    }
    return VanishingEntryInterposer.realLstat(path, info)
}
