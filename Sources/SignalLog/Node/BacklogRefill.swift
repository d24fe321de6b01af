import Logging
import SegmentLog

/// Reading pending work back from the log into memory as workers make room
/// (docs/signals.md, "Pending work").
extension SignalNode {
    /// Starts a refill task if work is left in the log and memory is at
    /// most half full (one refill at a time; processing nodes only).
    func scheduleRefill() {
        guard options.processing else { return }
        let start = work.withLock { work -> Bool in
            guard !work.stopping, !work.queues.moving, work.queues.wantsRefill else { return false }
            work.queues.refilling = true
            return true
        }
        if start {
            Task.detached { [self] in self.refill() }
        }
    }

    /// Reads pending signals from the backlog frontier on, one pass over
    /// the log for every partition, until memory holds ``SignalNodeOptions/pendingWindow``
    /// signals or nothing is left in the log; starts the workers of
    /// partitions that got work. The log is read without a lock; the
    /// signals are added under the work lock, unless retention moved
    /// records meanwhile (then the read is repeated from the new positions).
    func refill() {
        while true {
            let taken = work.withLock { work -> (backlog: PendingBacklog, budget: Int, generation: Int)? in
                let queues = work.queues
                guard !work.stopping, !queues.moving, queues.backlog > 0, queues.inMemory < queues.window else {
                    work.queues.refilling = false
                    return nil
                }
                return (PendingBacklog(queues), queues.window - queues.inMemory, queues.generation)
            }
            guard let taken else { return }
            var backlog = taken.backlog
            let budget = taken.budget, generation = taken.generation
            var items: [(item: PendingSignal, key: HashedString)] = []
            items.reserveCapacity(min(budget, 4096))
            var statistics = ReadStatistics()
            do {
                try backlog.read(in: log, statistics: &statistics) { item, key in
                    items.append((item, key))
                    return items.count < budget
                }
            } catch {
                logger.error("could not read pending signals back from the log; they stay pending until the next open",
                             metadata: ["error": "\(error)", "from_sequence": "\(backlog.position)"])
                work.withLock { $0.queues.refilling = false }
                return
            }
            let started = work.withLock { work -> [HashedString]? in
                guard work.queues.generation == generation, !work.queues.moving else { return nil }
                return work.queues.apply(backlog, items: items)
            }
            guard let started else { continue }
            startWorkers(started)
        }
    }
}

extension PartitionQueues {
    /// Takes in what a ``PendingBacklog`` read from the log (the queues may
    /// have grown meanwhile: only counts and positions it read are
    /// changed); returns the partitions whose workers must start.
    mutating func apply(_ read: PendingBacklog, items: [(item: PendingSignal, key: HashedString)]) -> [HashedString] {
        for (key, skipped) in read.skipped {
            partitions[key]?.cursor.finishedAhead -= skipped
        }
        for (key, cursor) in read.cursors {
            guard var queue = partitions[key] else { continue }
            queue.cursor.minimumOrder = max(queue.cursor.minimumOrder, cursor.minimumOrder)
            partitions[key] = queue
        }
        var started: [HashedString] = []
        for (item, key) in items {
            guard var queue = partitions.removeValue(forKey: key) else { continue }
            queue.cursor.count -= 1
            backlog -= 1
            if hold(item, in: &queue) { started.append(key) }
            partitions[key] = queue
        }
        frontier = max(frontier, read.position)
        return started
    }
}
