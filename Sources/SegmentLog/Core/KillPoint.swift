#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Named places in the write path where a crash test can kill the process.
///
/// Only debug builds honour them: set `SIGNALLOG_KILL_AT=name` (or
/// `name#N` to die on the N-th hit) and the process sends itself SIGKILL
/// there; set `SIGNALLOG_STOP_AT=name` and it sends itself SIGSTOP there, so
/// a test can act while the process is held at a known point (it waits for
/// the stop with `waitpid(WUNTRACED)` and resumes it with SIGCONT). Release
/// builds compile every call to nothing.
package enum KillPoint {
    #if DEBUG
    private final class Target: Sendable {
        let name: String
        let remaining: Atomic<Int>
        init(name: String, count: Int) {
            self.name = name
            remaining = Atomic(count)
        }
    }

    private static let target: Target? = parse("SIGNALLOG_KILL_AT")
    private static let stopTarget: Target? = parse("SIGNALLOG_STOP_AT")

    private static func parse(_ variable: String) -> Target? {
        guard let raw = getenv(variable) else { return nil }
        let parts = String(cString: raw).split(separator: "#", maxSplits: 1)
        guard let name = parts.first else { return nil }
        return Target(name: String(name), count: parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }
    #endif

    /// Every kill point, in write-path order (the crash harness iterates them).
    package static let all = [
        "append.before-write", "append.after-write",
        "sync.before", "sync.after",
        "seal.before-sync", "seal.after-sync",
        "index.after-temp-write", "index.after-rename",
        "segment.after-temp-create", "segment.after-header", "segment.after-rename", "segment.after-directory-sync",
        "retention.after-index-remove", "retention.after-segment-remove",
        "recovery.before-truncate",
    ]

    @inline(__always)
    package static func hit(_ name: StaticString) {
        #if DEBUG
        if target == nil && stopTarget == nil { return }
        let here = name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        if let stopTarget, here == stopTarget.name, stopTarget.remaining.subtract(1, ordering: .relaxed).newValue == 0 {
            kill(getpid(), SIGSTOP)
        }
        guard let target, here == target.name else { return }
        if target.remaining.subtract(1, ordering: .relaxed).newValue <= 0 {
            kill(getpid(), SIGKILL)
        }
        #endif
    }
}
