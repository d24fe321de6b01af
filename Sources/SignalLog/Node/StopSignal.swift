import SegmentLog
/// A one-way signal that shutdown raises to end the node's waits (a retry
/// backoff asleep on the clock) at once.
final class StopSignal: Sendable {
    private struct State {
        var raised = false
        var nextToken = 0
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = LockedValue(State())

    /// Wakes every waiter, now and later.
    func raise() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.raised = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns once raised, or when the task is cancelled.
    func wait() async {
        let token = state.withLock { state -> Int in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.raised || Task.isCancelled { return true }
                    state.waiting[token] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: token) }?.resume()
        }
    }
}
