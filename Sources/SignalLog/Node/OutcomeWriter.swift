import Logging
import SegmentLog

/// Writing processing outcomes: workers post their partitions' outcomes to
/// an outbox, and one writer at a time appends many partitions' at once and
/// applies them to the projections. The records are encoded and compressed
/// before the node lock is taken, so acceptance waits only for the write.
extension SignalNode {
    /// How long posted outcomes wait for a write when fewer than
    /// ``outcomeWriteMinimum`` runs are posted.
    static let outcomeLinger: Duration = .microseconds(500)
    /// Posted runs that make the worker posting the last of them write
    /// them all at once (if no other write is under way).
    static let outcomeWriteMinimum = 64

    /// Hands a worker's outcomes to the next outcome write; with `write`
    /// the caller writes them (and everything else posted) before returning.
    ///
    /// Otherwise they are written as one batch with every partition's
    /// outcomes posted meanwhile: by the worker whose post makes
    /// ``outcomeWriteMinimum`` runs, or by a writer task after
    /// ``outcomeLinger``.
    func post(_ outcomes: WorkerOutcomes, write: Bool = false) {
        let (posted, schedule) = outbox.withLock { outbox -> (Int, Bool) in
            outbox.ready.append(outcomes)
            guard !write, !outbox.writerScheduled else { return (outbox.ready.count, false) }
            outbox.writerScheduled = true
            return (outbox.ready.count, true)
        }
        if write {
            writeOutbox()
        } else if posted >= Self.outcomeWriteMinimum {
            writeOutbox(unlessBusy: true)
        }
        if schedule {
            Task.detached { [self] in await self.lingerAndWrite() }
        }
    }

    /// The writer task: writes what is posted every ``outcomeLinger`` and
    /// ends once nothing is.
    private func lingerAndWrite() async {
        while true {
            try? await Task.sleep(for: Self.outcomeLinger)
            let empty = outbox.withLock { outbox -> Bool in
                if outbox.ready.isEmpty { outbox.writerScheduled = false }
                return outbox.ready.isEmpty
            }
            if empty { return }
            writeOutbox()
        }
    }

    /// Writes every posted partition's outcomes, once the write under way
    /// (if any) is done; with `unlessBusy`, leaves them to that write's
    /// successor instead of waiting.
    ///
    /// If the log refuses, the outcomes go back to their partitions (the
    /// signals stay pending; shutdown tries again).
    func writeOutbox(unlessBusy: Bool = false) {
        let written = unlessBusy
            ? outcomeWriting.withLockIfAvailable { _ in writePosted() } ?? nil
            : outcomeWriting.withLock { _ in writePosted() }
        if let written { publish(written) }
    }

    /// Takes, writes and applies every posted partition's outcomes (call
    /// with `outcomeWriting` held and no other lock).
    private func writePosted() -> Recorded? {
        let ready = outbox.withLock { outbox -> [WorkerOutcomes] in
            defer { outbox.ready = [] }
            return outbox.ready
        }
        var taken: [(outcomes: WorkerOutcomes, buffer: OutcomeBuffer)] = []
        for outcomes in ready {
            if let buffer = outcomes.take(), !buffer.isEmpty { taken.append((outcomes, buffer)) }
        }
        guard !taken.isEmpty else { return nil }
        let chunks = prepare(taken)
        return state.withLock { state -> Recorded in
            let recorded = commit(chunks, state: &state)
            if let failure = recorded.failure {
                for entry in taken[recorded.count...] { entry.outcomes.putBack(entry.buffer) }
                logger.error("could not record processing outcomes; the signals stay pending", metadata: ["error": "\(failure)"])
            }
            return recorded
        }
    }

    /// Outcome records written per batch at most (a backlog of many
    /// partitions' outcomes is split; one partition's run is never split).
    static let outcomeBatchRecords = 4096

    /// Outcomes of consecutive partitions, encoded as one batch.
    struct OutcomeChunk {
        var entries: [(outcomes: WorkerOutcomes, buffer: OutcomeBuffer)]
        /// The records, compressed (see ``commit(_:state:)``).
        var draft: BatchDraft
        /// Outcome records of the entries.
        var records: Int
        /// The entries' outcomes merged, without the records.
        var merged = OutcomeBuffer()
        /// Why a record could not be added to the draft (records are far
        /// below the log's limits; one that broke them leaves its chunk's
        /// signals pending).
        var refusal: SegmentLogError?
    }

    /// What ``commit(_:state:)`` wrote.
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
        /// Callers waiting for the node to go idle, when the writes left nothing pending.
        var idleWaiters: [OutcomeWaiters.IdleContinuation] = []
        /// The finished signals' outcomes, collected only once someone has
        /// awaited an outcome (``SignalNode/outcomeTracking``).
        var finals: [(signalID: String, outcome: SignalOutcome)] = []
    }

    /// Encodes and compresses partitions' outcomes, a few thousand records
    /// a batch (no lock needed).
    func prepare(_ buffers: [(outcomes: WorkerOutcomes, buffer: OutcomeBuffer)]) -> [OutcomeChunk] {
        var chunks: [OutcomeChunk] = []
        var start = 0
        while start < buffers.count {
            var end = start + 1
            var records = buffers[start].buffer.records.count
            while end < buffers.count, records + buffers[end].buffer.records.count <= Self.outcomeBatchRecords {
                records += buffers[end].buffer.records.count
                end += 1
            }
            var chunk = OutcomeChunk(entries: Array(buffers[start..<end]), draft: log.makeDraft(), records: records)
            for entry in chunk.entries {
                chunk.merged.mergeCounts(entry.buffer)
                let partition = entry.outcomes.partition
                entry.buffer.forEachRecord { kind, payload in
                    do throws(SegmentLogError) {
                        try chunk.draft.add(kind: kind.rawValue, partition: partition, payload: payload)
                    } catch {
                        chunk.refusal = chunk.refusal ?? error
                    }
                }
            }
            chunk.draft.compress()
            chunks.append(chunk)
            start = end
        }
        return chunks
    }

    /// Appends prepared outcome batches and applies each to the projections
    /// once written (call with the state lock held; publish the result after
    /// releasing it). Stops at the first batch the log refuses.
    func commit(_ chunks: [OutcomeChunk], state: inout NodeState) -> Recorded {
        var recorded = Recorded()
        for chunk in chunks {
            do {
                if state.phase == .closed { throw SignalNodeError.closed }
                if let refusal = chunk.refusal { throw refusal }
                _ = try log.append(chunk.draft)
            } catch {
                recorded.failure = error
                break
            }
            work.withLock { work in
                // Read under the work lock, where outcome(of:) looks for pending signals.
                let tracking = outcomeTracking.load(ordering: .acquiring)
                for (outcomes, buffer) in chunk.entries {
                    let key = outcomes.key
                    if tracking, let queue = work.queues.partitions[key] {
                        Self.collectFinals(queue.items.prefix(buffer.finished), buffer, into: &recorded.finals)
                    }
                    work.queues.removeFinished(buffer.finished, from: key)
                    outcomes.removed(buffer.finished)
                    work.forgetIfIdle(key)
                }
            }
            apply(chunk.merged, records: chunk.records, state: &state, warning: &recorded.deadLetterWarning)
            recorded.merged.mergeCounts(chunk.merged)
            recorded.count += chunk.entries.count
        }
        recorded.queueDepth = work.withLock { work in
            let depth = work.queues.depth
            // Under the work lock, as waitUntilIdle() checks the depth.
            if depth == 0, recorded.count > 0 { recorded.idleWaiters = waiters.withLock { $0.takeIdle() } }
            return depth
        }
        recorded.deadLetterCount = state.deadLetters.count
        // Finished signals made room: read more back from the log.
        if recorded.count > 0 { scheduleRefill() }
        return recorded
    }

    /// The outcomes of the finished signals at a queue's head, from their
    /// handler-run counts and the buffer's dead letters.
    static func collectFinals(_ items: some Sequence<PendingSignal>, _ buffer: OutcomeBuffer,
                              into finals: inout [(signalID: String, outcome: SignalOutcome)]) {
        for (item, attempts) in zip(items, buffer.finishedAttempts) {
            let id = item.signal.id
            if let dead = buffer.deadLetters.first(where: { $0.signal.id == id }) {
                finals.append((id, .deadLettered(reason: dead.reason, error: dead.error, attempts: Int(attempts))))
            } else {
                finals.append((id, .processed(attempts: Int(attempts))))
            }
        }
    }

    /// Applies written outcomes to the totals and the dead letter queue.
    private func apply(_ batch: OutcomeBuffer, records: Int, state: inout NodeState, warning: inout Int) {
        state.totals.processed += UInt64(batch.processed)
        state.totals.failedAttempts += UInt64(batch.failedAttempts)
        for entry in batch.deadLetters {
            if state.deadLetters[entry.signal.id] == nil { state.totals.deadLettered += 1 }
            state.totals.countFailure(entry.reason)
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
        if buffer.failedAttempts > 0 {
            metrics.failures.increment(by: Int64(buffer.failedAttempts))
            metrics.errors[.handlerFailed]?.increment(by: Int64(buffer.failedAttempts))
        }
        for entry in buffer.deadLetters {
            metrics.deadLettered[entry.reason]?.increment()
            if let cause = FailureCause(deadLetterReason: entry.reason) { metrics.errors[cause]?.increment() }
        }
        for duration in buffer.durations { metrics.processingDuration.recordNanoseconds(duration * 1000) }
        if deadLetterWarning > 0 {
            logger.warning("dead letter queue is over its size threshold (dead letters are kept)",
                           metadata: ["size": "\(deadLetterWarning)", "threshold": "\(options.maxDeadLetters)"])
        }
        if !recorded.finals.isEmpty {
            let woken = waiters.withLock { waiters in
                var woken: [(OutcomeWaiters.OutcomeContinuation, SignalOutcome)] = []
                for (id, outcome) in recorded.finals {
                    for continuation in waiters.finish(id, outcome) { woken.append((continuation, outcome)) }
                }
                return woken
            }
            for (continuation, outcome) in woken { continuation.resume(returning: outcome) }
        }
        for continuation in recorded.idleWaiters { continuation.resume() }
        if !buffer.deadLetters.isEmpty || buffer.finished > 0 {
            metrics.queueDepth.record(recorded.queueDepth)
            metrics.deadLetterQueueSize.record(recorded.deadLetterCount)
            metrics.circuitState.record(breaker.currentState.gaugeValue)
        }
    }
}
