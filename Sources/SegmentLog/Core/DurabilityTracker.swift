/// Tracks which sequence numbers have reached stable storage and lets
/// concurrent appenders share one fsync (group commit): the first waiter
/// syncs, everyone whose records that sync covered returns with it.
final class DurabilityTracker: Sendable {
    private struct State {
        /// Every sequence below this is durable.
        var durableBelow: UInt64
        var syncing = false
        var failure: SegmentLogError?
        var stopped = false
    }

    private let state: LockedValue<State>

    init(durableBelow: UInt64) { state = LockedValue(State(durableBelow: durableBelow)) }

    var durableSequenceBound: UInt64 { state.withLock { $0.durableBelow } }

    /// Waits until `sequence` is durable. With `lead`, a waiter that finds no
    /// sync in progress runs `sync`, which syncs and returns the bound it
    /// made durable; otherwise it waits for someone else's sync.
    func wait(through sequence: UInt64, lead: Bool, sync: () throws(SegmentLogError) -> UInt64) throws(SegmentLogError) {
        let leads = try state.wait { (state) throws(SegmentLogError) -> Bool? in
            if let failure = state.failure { throw failure }
            if state.durableBelow > sequence { return false }
            if state.stopped { throw SegmentLogError.invalidArgument("the log closed before sequence \(sequence) was synced") }
            if lead && !state.syncing {
                state.syncing = true
                return true
            }
            return nil
        }
        if leads { try runSync(sync) }
    }

    /// Runs one sync if none is in progress (the interval flusher's tick).
    func syncIfIdle(_ sync: () throws(SegmentLogError) -> UInt64) {
        let leads = state.withLock { state -> Bool in
            guard !state.syncing, state.failure == nil else { return false }
            state.syncing = true
            return true
        }
        if leads { try? runSync(sync) }
    }

    private func runSync(_ sync: () throws(SegmentLogError) -> UInt64) throws(SegmentLogError) {
        let outcome: Swift.Result<UInt64, SegmentLogError>
        do throws(SegmentLogError) { outcome = .success(try sync()) } catch { outcome = .failure(error) }
        state.withLockBroadcasting { state in
            state.syncing = false
            switch outcome {
            case .success(let bound): state.durableBelow = max(state.durableBelow, bound)
            case .failure(let error): state.failure = state.failure ?? error
            }
        }
        if case .failure(let error) = outcome { throw error }
    }

    /// Records a bound made durable elsewhere (sealing syncs the old segment).
    func markDurable(below bound: UInt64) {
        state.withLockBroadcasting { $0.durableBelow = max($0.durableBelow, bound) }
    }

    /// Fails every present and future waiter.
    func fail(_ error: SegmentLogError) {
        state.withLockBroadcasting { $0.failure = $0.failure ?? error }
    }

    /// Wakes waiters for shutdown; `pause` returns false once stopped.
    func stop() { state.withLockBroadcasting { $0.stopped = true } }

    /// Sleeps up to `milliseconds` or until stopped; returns false once stopped.
    func pause(milliseconds: Int) -> Bool {
        state.wait(milliseconds: milliseconds, unless: \.stopped) { !$0.stopped }
    }
}
