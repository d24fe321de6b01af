import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Replaces `pwrite` and `pread` for the whole child process with versions
/// that, when enabled, fail with EINTR or transfer only part of the request,
/// as the kernel is allowed to (signals, pipes, NFS, near-full disks). The
/// engine's file layer must retry until every byte is written or read.
///
/// The definitions below take the C symbols' names, so the engine's calls
/// (linked into this executable) reach them; they forward to the C library
/// through `dlsym(RTLD_NEXT, ...)`. The child is single-threaded while they
/// are enabled, which is what makes the plain global state safe.
enum ShortIOInterposer {
    nonisolated(unsafe) static var enabled = false
    nonisolated(unsafe) static var random = SplitMix64(seed: 0)
    nonisolated(unsafe) static var interrupted = 0
    nonisolated(unsafe) static var shortened = 0

    typealias Transfer = @convention(c) (Int32, UnsafeMutableRawPointer?, Int, Int) -> Int
    nonisolated(unsafe) static let realPwrite: Transfer = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: -1), "pwrite"), to: Transfer.self)
    nonisolated(unsafe) static let realPread: Transfer = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: -1), "pread"), to: Transfer.self)

    static func enable(seed: UInt64) {
        _ = realPwrite
        _ = realPread
        random = SplitMix64(seed: seed)
        enabled = true
    }

    /// The byte count to pass on, or nil to fail this call with EINTR.
    static func decide(_ count: Int) -> Int? {
        guard enabled, count > 0 else { return count }
        let roll = random.next()
        switch roll % 8 {
        case 0:
            interrupted += 1
            return nil
        case 1, 2:
            guard count > 1 else { return count }
            shortened += 1
            return 1 + Int((roll >> 8) % UInt64(count - 1))
        default:
            return count
        }
    }
}

@_cdecl("pwrite")
func interposedPwrite(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: Int) -> Int {
    guard let allowed = ShortIOInterposer.decide(count) else {
        errno = EINTR
        return -1
    }
    return ShortIOInterposer.realPwrite(fd, buffer, allowed, offset)
}

@_cdecl("pread")
func interposedPread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: Int) -> Int {
    guard let allowed = ShortIOInterposer.decide(count) else {
        errno = EINTR
        return -1
    }
    return ShortIOInterposer.realPread(fd, buffer, allowed, offset)
}
