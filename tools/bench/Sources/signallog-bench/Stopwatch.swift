#if canImport(Glibc)
import Glibc
#endif

/// Monotonic time in nanoseconds, for timing workloads without Foundation.
enum Stopwatch {
    /// Nanoseconds on the monotonic clock (arbitrary origin).
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Seconds elapsed since `start` (a value of ``now()``).
    static func seconds(since start: UInt64) -> Double {
        Double(now() &- start) / 1e9
    }

    /// Runs `body` and returns its result with the seconds it took.
    static func time<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (value: T, seconds: Double) {
        let start = now()
        let value = try body()
        return (value, seconds(since: start))
    }
}
