import Logging
import SegmentLog

/// Writing processing outcomes: workers post their partitions' outcomes to
/// an outbox, and acceptances or a writer task append many partitions' at
/// once, under the node lock, and apply them to the projections.
extension SignalNode {
    /// How long posted outcomes wait for an acceptance to carry them before
    /// a writer task takes the node lock for them itself.
    static let outcomeLinger: Duration = .microseconds(500)
    /// Posted runs an acceptance waits for before it carries them.
    static let outcomeCarryMinimum = 32

    /// Hands a worker's outcomes to the next outcome write; with `write`
    /// the caller writes them (and everything else posted) now.
    ///
    /// Otherwise they are written as one batch with every partition's
    /// outcomes posted meanwhile: by the next acceptance (which holds the
    /// node lock anyway, see ``writePosted(_:)``) or, when no signals arrive
    /// for ``outcomeLinger``, by a writer task. While signals stream in, the
    /// writer never competes with acceptance for the lock.
    func post(_ outcomes: WorkerOutcomes, write: Bool = false) {
        let schedule = outbox.withLock { outbox -> Bool in
            outbox.ready.append(outcomes)
            guard !write, !outbox.writerScheduled else { return false }
            outbox.writerScheduled = true
            return true
        }
        if write {
            writeOutbox()
        } else if schedule {
            Task.detached { [self] in await self.lingerAndWrite() }
        }
    }

    /// The writer task: waits while acceptances carry the outcomes, writes
    /// what is left once they stop, and ends when nothing is left.
    private func lingerAndWrite() async {
        var seen = acceptances.load(ordering: .relaxed)
        while true {
            try? await Task.sleep(for: Self.outcomeLinger)
            let empty = outbox.withLock { outbox -> Bool in
                if outbox.ready.isEmpty { outbox.writerScheduled = false }
                return outbox.ready.isEmpty
            }
            if empty { return }
            let now = acceptances.load(ordering: .relaxed)
            if now == seen { writeOutbox() }
            seen = now
        }
    }

    /// Writes every posted partition's outcomes (see ``writePosted(_:)``).
    func writeOutbox() {
        let written = state.withLock { writePosted(&$0) }
        if let written { publish(written) }
    }

    /// Writes every posted partition's outcomes and applies them to the
    /// projections (call with the state lock held; publish the result after
    /// releasing it). Acceptance calls it too, so while signals stream in,
    /// outcomes ride along with them instead of waiting for the lock.
    /// If the log refuses, the outcomes go back to their partitions (the
    /// signals stay pending; shutdown tries again).
    ///
    /// - Parameter minimum: write only if at least this many runs are
    ///   posted (acceptance lets a few accumulate, so one signal per call
    ///   does not mean one outcome batch per call).
    func writePosted(_ state: inout NodeState, minimum: Int = 1) -> Recorded? {
        let ready = outbox.withLock { outbox -> [WorkerOutcomes] in
            guard outbox.ready.count >= minimum else { return [] }
            defer { outbox.ready = [] }
            return outbox.ready
        }
        guard state.phase != .closed else { return nil }
        var taken: [(outcomes: WorkerOutcomes, buffer: OutcomeBuffer)] = []
        for outcomes in ready {
            if let buffer = outcomes.take(), !buffer.isEmpty { taken.append((outcomes, buffer)) }
        }
        guard !taken.isEmpty else { return nil }
        let recorded = record(taken, state: &state)
        if let failure = recorded.failure {
            for entry in taken[recorded.count...] { entry.outcomes.putBack(entry.buffer) }
            logger.error("could not record processing outcomes; the signals stay pending", metadata: ["error": "\(failure)"])
        }
        return recorded
    }

    /// Outcome records written per batch at most (a backlog of many
    /// partitions' outcomes is split; one partition's run is never split).
    static let outcomeBatchRecords = 4096

    /// What ``record(_:state:)`` wrote.
    struct Recorded {
        /// How many of the buffers were written (a prefix).
        var count = 0
        /// Their outcomes merged, without the records (for metrics).
        var merged = OutcomeBuffer()
        /// The dead letter queue size to warn about, or 0.
        var deadLetterWarning = 0
        /// Why the rest were not written.
        var failure: (any Error)?
        /// Queue depth and dead letter queue size after the writes (for the gauges).
        var queueDepth = 0
        var deadLetterCount = 0
    }

    /// Appends partitions' outcomes, a few thousand records a batch, and
    /// applies each batch to the projections once written (call with the
    /// state lock held). Stops at the first batch the log refuses.
    func record(_ buffers: [(outcomes: WorkerOutcomes, buffer: OutcomeBuffer)], state: inout NodeState) -> Recorded {
        var recorded = Recorded()
        var start = 0
        while start < buffers.count {
            var end = start + 1
            var records = buffers[start].buffer.records.count
            while end < buffers.count, records + buffers[end].buffer.records.count <= Self.outcomeBatchRecords {
                records += buffers[end].buffer.records.count
                end += 1
            }
            var batch = OutcomeBuffer()
            for entry in buffers[start..<end] { batch.mergeCounts(entry.buffer) }
            do {
                _ = try append(buffers[start..<end].lazy.flatMap(\.buffer.records), writer: &state.writer)
            } catch {
                recorded.failure = error
                break
            }
            work.withLock { work in
                for (outcomes, buffer) in buffers[start..<end] {
                    let key = outcomes.partition
                    work.queues.removeFinished(buffer.finished, from: key)
                    outcomes.removed(buffer.finished)
                    work.forgetIfIdle(key)
                }
            }
            apply(batch, records: records, state: &state, warning: &recorded.deadLetterWarning)
            recorded.merged.mergeCounts(batch)
            recorded.count = end
            start = end
        }
        recorded.queueDepth = work.withLock { $0.queues.depth }
        recorded.deadLetterCount = state.deadLetters.count
        return recorded
    }

    /// Applies written outcomes to the totals and the dead letter queue.
    private func apply(_ batch: OutcomeBuffer, records: Int, state: inout NodeState, warning: inout Int) {
        state.totals.processed += UInt64(batch.processed)
        state.totals.failedAttempts += UInt64(batch.failedAttempts)
        for entry in batch.deadLetters {
            if state.deadLetters[entry.signal.id] == nil { state.totals.deadLettered += 1 }
            state.deadLetters[entry.signal.id] = entry
        }
        if batch.processed > 0 { state.throughput.add(batch.processed, at: clock.nowMicroseconds()) }
        let size = state.deadLetters.count
        if size > options.maxDeadLetters, state.deadLetterWarningArmed {
            state.deadLetterWarningArmed = false
            warning = size
        } else if size <= options.maxDeadLetters {
            state.deadLetterWarningArmed = true
        }
        state.recordsSinceCheckpoint += records
        maybeCheckpoint(&state)
    }

    /// Publishes written outcomes to swift-metrics (outside the state lock,
    /// and without taking it: the gauges come from the write).
    func publish(_ recorded: Recorded) {
        let buffer = recorded.merged, deadLetterWarning = recorded.deadLetterWarning
        if buffer.processed > 0 { metrics.processed.increment(by: Int64(buffer.processed)) }
        if buffer.failedAttempts > 0 { metrics.failures.increment(by: Int64(buffer.failedAttempts)) }
        for entry in buffer.deadLetters { metrics.deadLettered[entry.reason]?.increment() }
        for duration in buffer.durations { metrics.processingDuration.recordNanoseconds(duration * 1000) }
        if deadLetterWarning > 0 {
            logger.warning("dead letter queue is over its size threshold (dead letters are kept)",
                           metadata: ["size": "\(deadLetterWarning)", "threshold": "\(options.maxDeadLetters)"])
        }
        if !buffer.deadLetters.isEmpty || buffer.finished > 0 {
            metrics.queueDepth.record(recorded.queueDepth)
            metrics.deadLetterQueueSize.record(recorded.deadLetterCount)
            metrics.circuitState.record(breaker.currentState.gaugeValue)
        }
    }
}
