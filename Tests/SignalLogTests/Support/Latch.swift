import Synchronization

/// A one-shot latch for handlers: `wait()` suspends (no polling) until
/// `open()`; `opened` counts how many waits have begun, and
/// `untilWaiting(_:)` returns once that many have.
final class Latch: Sendable {
    private struct State {
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var arrivals = 0
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let state = Mutex(State())

    func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (go, ready) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                state.arrivals += 1
                var ready: [CheckedContinuation<Void, Never>] = []
                state.watchers.removeAll { watcher in
                    guard state.arrivals >= watcher.count else { return false }
                    ready.append(watcher.continuation)
                    return true
                }
                if state.open { return (true, ready) }
                state.waiting.append(continuation)
                return (false, ready)
            }
            for watcher in ready { watcher.resume() }
            if go { continuation.resume() }
        }
    }

    /// Returns once `count` calls of `wait()` have begun.
    func untilWaiting(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.arrivals >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
