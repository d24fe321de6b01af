#if canImport(Glibc)
import Glibc
#endif

/// A source of wall-clock time in microseconds since the Unix epoch.
///
/// The log stamps each batch with `max(clock, last stamp)`, so a clock that
/// steps backwards cannot make append times decrease. Tests inject a
/// ``ManualClock`` instead of sleeping.
public protocol LogClock: Sendable {
    func nowMicroseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemClock: LogClock {
    public init() {}
    public func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

import Synchronization

/// A clock that moves only when told to.
public final class ManualClock: LogClock {
    private let now: Atomic<Int64>
    public init(microseconds: Int64 = 1_700_000_000_000_000) { now = Atomic(microseconds) }
    public func nowMicroseconds() -> Int64 { now.load(ordering: .acquiring) }
    public func advance(byMicroseconds delta: Int64) { now.add(delta, ordering: .acquiringAndReleasing) }
    public func set(microseconds: Int64) { now.store(microseconds, ordering: .releasing) }
}
