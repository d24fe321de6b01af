#if canImport(Glibc)
import Glibc
#endif

/// A source of wall-clock time in microseconds since the Unix epoch.
///
/// The log stamps each batch with `max(clock, last stamp)`, so a clock that
/// steps backwards cannot make append times decrease. Tests inject a
/// ``ManualClock`` instead of sleeping.
public protocol LogClock: Sendable {
    /// The current time, in microseconds since the Unix epoch.
    func nowMicroseconds() -> Int64
    /// Suspends until the clock reads at least `deadline` (microseconds
    /// since the epoch); returns at once if it already does. Throws
    /// `CancellationError` when the task is cancelled first. Every wait of
    /// a node (retry backoff, shutdown deadlines) goes through this, so a
    /// ``ManualClock`` lets tests move time without sleeping.
    ///
    /// - Parameter deadline: the time to wake at, microseconds since the epoch.
    /// - Throws: `CancellationError` when the task is cancelled before the deadline.
    func sleep(untilMicroseconds deadline: Int64) async throws
}

extension LogClock {
    /// Sleeps in real time until the clock reads `deadline` (for clocks
    /// that move by themselves, such as ``SystemClock``).
    ///
    /// - Parameter deadline: the time to wake at, microseconds since the epoch.
    /// - Throws: `CancellationError` when the task is cancelled before the deadline.
    public func sleep(untilMicroseconds deadline: Int64) async throws {
        while true {
            let left = deadline - nowMicroseconds()
            if left <= 0 { return }
            try await Task.sleep(for: .microseconds(left))
        }
    }
}

/// The system's real-time clock.
public struct SystemClock: LogClock {
    /// Makes the system clock.
    public init() {}
    /// The current real time (`CLOCK_REALTIME`), in microseconds since the Unix epoch.
    public func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

import Synchronization

/// A clock that moves only when told to, for tests that drive time instead
/// of sleeping.
///
/// Tasks that sleep on it (a node's retry backoff or shutdown deadline)
/// stay suspended until ``advance(by:)``, ``advance(byMicroseconds:)`` or
/// ``set(microseconds:)`` moves the clock to their deadline; no wall time
/// passes. ``waitForSleepers(_:)`` waits, without polling, until a number of
/// tasks are asleep on it, so a test knows a wait has begun before it moves
/// time past it.
public final class ManualClock: LogClock {
    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var nextToken = 0
        var sleepers: [Int: Sleeper] = [:]
        var watchers: [(token: Int, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }
    /// The time, read without a lock (the engine reads it per append); moved
    /// before the sleepers are looked at, which `sleep` does under `state`.
    private let now: Atomic<Int64>
    private let state = LockedValue(State())

    /// Makes a clock standing at `microseconds`.
    ///
    /// - Parameter microseconds: the starting time, microseconds since the epoch.
    public init(microseconds: Int64 = 1_700_000_000_000_000) { now = Atomic(microseconds) }

    /// The time the clock stands at, in microseconds since the Unix epoch.
    public func nowMicroseconds() -> Int64 { now.load(ordering: .acquiring) }

    /// Moves the clock forward and wakes every sleeper whose deadline it reaches.
    ///
    /// - Parameter delta: how far to move the clock, in microseconds.
    public func advance(byMicroseconds delta: Int64) {
        now.add(delta, ordering: .acquiringAndReleasing)
        let woken = state.withLock { Self.takeDue(&$0, now: now.load(ordering: .acquiring)) }
        for continuation in woken { continuation.resume() }
    }

    /// Moves the clock forward by `duration` (see ``advance(byMicroseconds:)``).
    ///
    /// - Parameter duration: how far to move the clock (sub-microsecond parts are dropped).
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        advance(byMicroseconds: seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
    }

    /// Sets the clock (backwards too) and wakes the sleepers it makes due.
    ///
    /// - Parameter microseconds: the new time, microseconds since the epoch.
    public func set(microseconds: Int64) {
        now.store(microseconds, ordering: .releasing)
        let woken = state.withLock { Self.takeDue(&$0, now: now.load(ordering: .acquiring)) }
        for continuation in woken { continuation.resume() }
    }

    /// Tasks asleep on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Returns once at least `count` tasks are asleep on this clock (or
    /// when the calling task is cancelled).
    ///
    /// - Parameter count: the number of sleeping tasks to wait for.
    public func waitForSleepers(_ count: Int = 1) async {
        let token = state.withLock { state -> Int in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.sleepers.count >= count || Task.isCancelled { return true }
                    state.watchers.append((token, count, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let watcher = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.watchers.firstIndex(where: { $0.token == token }) else { return nil }
                return state.watchers.remove(at: index).continuation
            }
            watcher?.resume()
        }
    }

    /// Suspends until the clock is moved to `deadline` or past it; returns at
    /// once if it already reads that.
    ///
    /// - Parameter deadline: the time to wake at, microseconds since the epoch.
    /// - Throws: `CancellationError` when the task is cancelled before the deadline.
    public func sleep(untilMicroseconds deadline: Int64) async throws {
        let token = state.withLock { state -> Int in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (due, watchers) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if now.load(ordering: .acquiring) >= deadline { return (true, []) }
                    if Task.isCancelled { return (true, []) }
                    state.sleepers[token] = Sleeper(deadline: deadline, continuation: continuation)
                    var ready: [CheckedContinuation<Void, Never>] = []
                    state.watchers.removeAll { watcher in
                        guard state.sleepers.count >= watcher.count else { return false }
                        ready.append(watcher.continuation)
                        return true
                    }
                    return (false, ready)
                }
                if due { continuation.resume() }
                for watcher in watchers { watcher.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: token) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    private static func takeDue(_ state: inout State, now: Int64) -> [CheckedContinuation<Void, any Error>] {
        if state.sleepers.isEmpty { return [] }
        let due = state.sleepers.filter { $0.value.deadline <= now }
        for token in due.keys { state.sleepers.removeValue(forKey: token) }
        return due.sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }.map(\.value.continuation)
    }
}
