import Synchronization

/// Per-signal timestamps written by handlers on worker threads and read by
/// the benchmark after they finish: slot `i` belongs to signal `i` and is
/// written once, so no lock is needed (hence `@unchecked Sendable`); a
/// counter tells how many handlers have run.
final class LatencyBoard: @unchecked Sendable {
    private let handledAt: UnsafeMutablePointer<UInt64>
    let count: Int
    let handled = Atomic<Int>(0)

    init(count: Int) {
        self.count = count
        handledAt = .allocate(capacity: max(1, count))
        handledAt.initialize(repeating: 0, count: max(1, count))
    }

    /// Notes that signal `index` reached its handler now.
    func markHandled(_ index: Int) {
        if index >= 0 && index < count { handledAt[index] = Stopwatch.now() }
        handled.add(1, ordering: .releasing)
    }

    /// When signal `index` reached its handler (0 if it has not).
    func handledTime(_ index: Int) -> UInt64 {
        _ = handled.load(ordering: .acquiring)
        return handledAt[index]
    }

    func reset() {
        handledAt.update(repeating: 0, count: max(1, count))
        handled.store(0, ordering: .releasing)
    }

    deinit { handledAt.deallocate() }
}
