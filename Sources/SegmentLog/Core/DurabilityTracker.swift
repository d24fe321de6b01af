/// Tracks which sequence numbers have reached stable storage and lets
/// concurrent appenders share one fsync (group commit): the first waiter
/// syncs, everyone whose records that sync covered returns with it.
final class DurabilityTracker: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Every sequence below this is durable.
    private var durableBelow: UInt64
    private var syncing = false
    private var failure: SegmentLogError?
    private var stopped = false

    init(durableBelow: UInt64) { self.durableBelow = durableBelow }

    var durableSequenceBound: UInt64 { lock.withLock { durableBelow } }

    /// Waits until `sequence` is durable. With `lead`, a waiter that finds no
    /// sync in progress runs `sync`, which syncs and returns the bound it
    /// made durable; otherwise it waits for someone else's sync.
    func wait(through sequence: UInt64, lead: Bool, sync: () throws(SegmentLogError) -> UInt64) throws(SegmentLogError) {
        lock.lock()
        while true {
            if let failure { lock.unlock(); throw failure }
            if durableBelow > sequence { lock.unlock(); return }
            if stopped { lock.unlock(); throw SegmentLogError.invalidArgument("the log closed before sequence \(sequence) was synced") }
            if lead && !syncing { break }
            lock.wait()
        }
        syncing = true
        lock.unlock()
        try runSync(sync)
    }

    /// Runs one sync if none is in progress (the interval flusher's tick).
    func syncIfIdle(_ sync: () throws(SegmentLogError) -> UInt64) {
        lock.lock()
        guard !syncing, failure == nil else { lock.unlock(); return }
        syncing = true
        lock.unlock()
        try? runSync(sync)
    }

    private func runSync(_ sync: () throws(SegmentLogError) -> UInt64) throws(SegmentLogError) {
        let outcome: Swift.Result<UInt64, SegmentLogError>
        do throws(SegmentLogError) { outcome = .success(try sync()) } catch { outcome = .failure(error) }
        lock.lock()
        syncing = false
        switch outcome {
        case .success(let bound): durableBelow = max(durableBelow, bound)
        case .failure(let error): failure = failure ?? error
        }
        lock.broadcast()
        lock.unlock()
        if case .failure(let error) = outcome { throw error }
    }

    /// Records a bound made durable elsewhere (sealing syncs the old segment).
    func markDurable(below bound: UInt64) {
        lock.withLock { durableBelow = max(durableBelow, bound); lock.broadcast() }
    }

    /// Fails every present and future waiter.
    func fail(_ error: SegmentLogError) {
        lock.withLock { failure = failure ?? error; lock.broadcast() }
    }

    /// Wakes waiters for shutdown; `tick` returns false once stopped.
    func stop() { lock.withLock { stopped = true; lock.broadcast() } }

    /// Sleeps up to `milliseconds` or until stopped; returns false once stopped.
    func pause(milliseconds: Int) -> Bool {
        lock.withLock {
            if !stopped { lock.wait(milliseconds: milliseconds) }
            return !stopped
        }
    }
}
