/// Pausing and resuming processing while the node runs.
extension SignalNode {
    /// Stops taking new signals for processing: each partition's worker
    /// finishes the signal it is running (with its retries) and stops.
    /// Acceptance goes on (signals queue up to the capacity, then meet
    /// backpressure); ``resume()`` starts processing again, in order.
    /// Pausing does not survive a restart (a node opens processing).
    public func pause() {
        work.withLock { work in
            work.paused = true
            pauseRequested.store(true, ordering: .relaxed)
        }
    }

    /// Starts processing again after ``pause()``: a worker starts for every
    /// partition with pending signals. Does nothing on an accept-only node
    /// (``SignalNodeOptions/processing`` false).
    public func resume() {
        let keys = work.withLock { work -> [HashedString] in
            guard work.paused else { return [] }
            work.paused = false
            pauseRequested.store(false, ordering: .relaxed)
            guard !work.stopping else { return [] }
            var keys: [HashedString] = []
            for (key, queue) in work.queues.partitions where !queue.items.isEmpty && !queue.running {
                work.queues.partitions[key]!.running = true
                keys.append(key)
            }
            return keys.sorted { $0.text < $1.text }
        }
        startWorkers(keys)
        scheduleRefill()
    }

    /// Whether processing is paused (see ``pause()``).
    public var isPaused: Bool { work.withLock { $0.paused } }
}
