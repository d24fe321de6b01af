import Logging
import SegmentLog
import ServiceLifecycle
import Tracing

/// How one run of a handler went: an attempt record short of the signal's
/// own fields, which a processed signal's record takes straight from it.
struct HandlerRun {
    /// Microseconds since the epoch, from the node's clock.
    var startedAt: Int64
    /// Microseconds.
    var duration: Int64
    /// The error's text if the handler threw.
    var failure: String?

    /// The attempt record of this run on `signal`.
    func attempt(on signal: Signal, number: Int, nodeID: String) -> ProcessingAttempt {
        ProcessingAttempt(signalID: signal.id, nodeID: nodeID, startedAt: startedAt, duration: duration,
                          outcome: failure.map { .failed($0) } ?? .processed, correlationID: signal.correlationID, attempt: number)
    }
}

/// Reads `traceparent` from a dictionary carrier.
struct TraceparentExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

extension SignalNode {
    // MARK: Workers

    func startWorkers(_ keys: [HashedString]) {
        guard !keys.isEmpty, options.processing else { return }
        work.withLock { $0.activeWorkers += keys.count }
        for key in keys {
            Task.detached { [self] in await self.drain(key) }
        }
    }

    /// Processes one partition's queue in order until every signal in it
    /// has run (or the node stops). Exactly one worker runs per partition at
    /// a time. Outcomes go to the partition's ``WorkerOutcomes`` and are
    /// written later, many partitions' in one batch (see ``post(_:write:)``); the
    /// signals leave the queue when their outcomes are written.
    func drain(_ key: HashedString) async {
        let outcomes = work.withLock { work -> WorkerOutcomes in
            if let existing = work.outcomes[key] { return existing }
            let created = WorkerOutcomes(partition: key)
            work.outcomes[key] = created
            return created
        }
        defer { finishWorker(key, outcomes: outcomes) }
        let runLength = max(1, options.maxBatchRun)
        while true {
            // Take the next run of unprocessed signals in one lock acquisition;
            // only this worker processes the partition, and the queue's head
            // leaves only when outcomes are written, so the run stays valid.
            let run: [PendingSignal] = work.withLock { work in
                let finished = outcomes.finished
                guard !work.stopping, let queue = work.queues.partitions[key], finished < queue.items.count else { return [] }
                return Array(queue.items[finished..<min(queue.items.count, finished + runLength)])
            }
            if run.isEmpty { return }
            // Looked up once a run: finding the bootstrapped tracer casts
            // through every instrument, which cost more than a trivial handler.
            let tracer = InstrumentationSystem.tracer
            var lookedUp: (type: String, handler: SignalHandler?)?
            // A partition's signals mostly share a type (the default key is
            // source and type), so the handler table is read once per type
            // and run (and again while none is registered).
            for item in run {
                // Shutdown writes what this worker has finished (it seals the outcomes).
                if stopRequested.load(ordering: .relaxed) { return }
                let type = item.signal.type
                if lookedUp?.type != type || lookedUp?.handler == nil { lookedUp = (type, handlers.withLock { $0[type] }) }
                guard await process(item, outcomes: outcomes, handler: lookedUp?.handler, tracer: tracer) else { return }
            }
            post(outcomes)
        }
    }

    /// Ends a worker: starts it again if signals arrived after its last
    /// look, and forgets an empty partition.
    private func finishWorker(_ key: HashedString, outcomes: WorkerOutcomes) {
        let restart = work.withLock { work -> Bool in
            work.activeWorkers -= 1
            if let queue = work.queues.partitions[key], queue.items.count > outcomes.finished, !work.stopping {
                work.activeWorkers += 1
                return true
            }
            work.queues.partitions[key]?.running = false
            work.forgetIfIdle(key)
            return false
        }
        if restart {
            Task.detached { [self] in await self.drain(key) }
        }
    }

    /// Processes one signal (with retries) and hands its outcomes to
    /// `outcomes`; false if the worker must stop.
    /// `handler` is the one registered for the signal's type, if any.
    func process(_ item: PendingSignal, outcomes: WorkerOutcomes, handler: SignalHandler?,
                 tracer: any Tracer) async -> Bool {
        let signal = item.signal
        var buffer = OutcomeBuffer()
        let current: Signal
        do {
            current = try options.schemas.upcast(signal)
        } catch {
            let (reason, text) = Self.schemaFailure(error, signal: signal)
            deadLetter(item, reason: reason, error: text, buffer: &buffer)
            breaker.release(signal.id)
            return addDeadLetter(buffer, to: outcomes)
        }
        guard let handler else {
            deadLetter(item, reason: .unknownSignalType, error: "no handler registered for signal type \"\(signal.type)\"", buffer: &buffer)
            breaker.release(signal.id)
            return addDeadLetter(buffer, to: outcomes)
        }
        var attempt = 1
        var history: [ProcessingAttempt] = []
        while true {
            let result: HandlerRun
            if history.isEmpty && current.processingAttempts.isEmpty {
                result = await run(handler, on: current, attempt: attempt, tracer: tracer)
            } else {
                var delivered = current
                delivered.processingAttempts = history
                result = await run(handler, on: delivered, attempt: attempt, tracer: tracer)
            }
            guard let failure = result.failure else {
                breaker.recordSuccess(signal.id)
                // Earlier failed attempts were written before the retry.
                assert(buffer.isEmpty, "a success follows written failures only")
                return outcomes.addProcessed(current, by: result, attempt: attempt, nodeID: nodeID)
            }
            let record = result.attempt(on: current, number: attempt, nodeID: nodeID)
            buffer.append(record)
            buffer.durations.append(record.duration)
            breaker.recordFailure(signal.id)
            buffer.failedAttempts += 1
            history.append(record)
            if attempt >= max(1, options.retry.maxAttempts) {
                deadLetter(item, reason: .processingFailed, error: failure, buffer: &buffer)
                return addDeadLetter(buffer, to: outcomes)
            }
            // Retry: the partition waits; record the failure first.
            guard outcomes.add(buffer) else { return false }
            post(outcomes, write: true)
            guard outcomes.isEmpty else { return false }
            buffer = OutcomeBuffer()
            try? await Task.sleep(for: options.retry.backoff(after: attempt))
            if work.withLock({ $0.stopping }) { return false }
            attempt += 1
        }
    }

    /// Adds outcomes holding a dead letter and writes them at once, so the
    /// dead letter queue shows it before the partition's next signal runs.
    private func addDeadLetter(_ buffer: OutcomeBuffer, to outcomes: WorkerOutcomes) -> Bool {
        guard outcomes.add(buffer) else { return false }
        post(outcomes, write: true)
        return true
    }

    /// Runs a handler once inside a span.
    func run(_ handler: SignalHandler, on signal: Signal, attempt: Int,
             tracer: any Tracer = InstrumentationSystem.tracer) async -> HandlerRun {
        var context = ServiceContext.topLevel
        if let traceparent = signal.traceparent {
            InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &context, using: TraceparentExtractor())
        }
        let span = tracer.startSpan("signal.process", context: context, ofKind: .consumer)
        if span.isRecording {
            span.attributes["signal.id"] = signal.id
            span.attributes["signal.type"] = signal.type
            span.attributes["signal.correlation_id"] = signal.correlationID
            span.attributes["signal.partition_key"] = signal.partitionKey
            span.attributes["signal.attempt"] = attempt
            span.attributes["node.id"] = nodeID
        }
        let startedAt = clock.nowMicroseconds()
        let start = ContinuousClock.now
        var failure: String?
        do {
            try await handler(signal)
        } catch {
            failure = "\(error)"
            span.recordError(error)
        }
        let duration = micros(ContinuousClock.now - start)
        span.end()
        return HandlerRun(startedAt: startedAt, duration: duration, failure: failure)
    }

    static func schemaFailure(_ error: SchemaRegistry.Failure, signal: Signal) -> (DeadLetterReason, String) {
        switch error {
        case .missing: return (.missingSchemaVersion, "signal has no schema version")
        case .unsupported(let version): return (.unsupportedSchemaVersion, "schema version \"\(version)\" is not supported")
        case let .upcastFailed(from, text): return (.upcastFailed, "upcasting from \(from) failed: \(text)")
        }
    }

    private func deadLetter(_ item: PendingSignal, reason: DeadLetterReason, error: String, buffer: inout OutcomeBuffer) {
        let now = clock.nowMicroseconds()
        let signal = item.signal
        buffer.append(DeadLetterMoveRecord(
            signalID: signal.id, reason: reason, error: error, nodeID: nodeID, correlationID: signal.correlationID,
            time: now, retryCount: signal.retryCount, signalSequence: item.sequence))
        buffer.deadLetters.append(DeadLetter(signal: signal, reason: reason, error: error, time: now, nodeID: nodeID, sequence: item.sequence))
        buffer.finished += 1
        logger.warning("signal dead-lettered", metadata: [
            "signal_id": "\(signal.id)", "reason": "\(reason)", "error": "\(error)", "correlation_id": "\(signal.correlationID)",
        ])
    }

    // MARK: Dead letter queue

    /// The dead letter queue, oldest move first.
    public func deadLetters() -> [DeadLetter] {
        state.withLock { $0.deadLetters.values.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) } }
    }

    /// Retries one dead letter now (outside its partition's order), with its
    /// retry count incremented. On success it leaves the queue (a dlq-resolve
    /// record); on failure it stays with the new error (a new dlq-move record).
    /// - Returns: whether processing succeeded.
    public func reprocessDeadLetter(_ signalID: String) async throws -> Bool {
        let entry: DeadLetter = try state.withLock { (state) throws -> DeadLetter in
            guard state.phase != .closed else { throw SignalNodeError.closed }
            guard let entry = state.deadLetters[signalID] else { throw SignalNodeError.deadLetterNotFound(signalID) }
            guard state.reprocessing.insert(signalID).inserted else { throw SignalNodeError.deadLetterBusy(signalID) }
            return entry
        }
        defer { _ = state.withLock { $0.reprocessing.remove(signalID) } }
        var signal = entry.signal
        signal.retryCount += 1
        let key = signal.partitionKey
        var failure: (DeadLetterReason, String)?
        var attempt: ProcessingAttempt?
        do {
            let current = try options.schemas.upcast(signal)
            if let handler = handlers.withLock({ $0[signal.type] }) {
                let result = await run(handler, on: current, attempt: signal.retryCount + 1)
                attempt = result.attempt(on: current, number: signal.retryCount + 1, nodeID: nodeID)
                if let text = result.failure { failure = (.processingFailed, text) }
            } else {
                failure = (.unknownSignalType, "no handler registered for signal type \"\(signal.type)\"")
            }
        } catch {
            failure = Self.schemaFailure(error, signal: signal)
        }
        let now = clock.nowMicroseconds()
        var records: [OutRecord] = []
        if let attempt { records.append(.attempt(attempt, partition: key)) }
        if let (reason, text) = failure {
            records.append(.move(DeadLetterMoveRecord(signalID: signal.id, reason: reason, error: text, nodeID: nodeID,
                                                      correlationID: signal.correlationID, time: now, retryCount: signal.retryCount,
                                                      signalSequence: entry.sequence), partition: key))
        } else {
            records.append(.resolve(DeadLetterResolveRecord(signalID: signal.id, resolution: .reprocessed, nodeID: nodeID,
                                                            correlationID: signal.correlationID, time: now), partition: key))
        }
        try state.withLock { (state) throws in
            guard state.phase != .closed else { throw SignalNodeError.closed }
            _ = try append(records, writer: &state.writer)
            state.recordsSinceCheckpoint += records.count
            if attempt != nil {
                if failure == nil { state.totals.processed += 1 } else { state.totals.failedAttempts += 1 }
            }
            if let (reason, text) = failure {
                state.deadLetters[signal.id] = DeadLetter(signal: signal, reason: reason, error: text, time: now, nodeID: nodeID, sequence: entry.sequence)
            } else {
                state.deadLetters.removeValue(forKey: signal.id)
                state.totals.reprocessed += 1
            }
            maybeCheckpoint(&state)
        }
        if failure == nil {
            metrics.reprocessed.increment()
            if attempt != nil { metrics.processed.increment() }
        } else if attempt != nil {
            metrics.failures.increment()
        }
        updateGauges()
        return failure == nil
    }

    /// Reprocesses every dead letter (oldest first).
    /// - Returns: signal id → whether it succeeded.
    public func reprocessAllDeadLetters() async throws -> [String: Bool] {
        var results: [String: Bool] = [:]
        for entry in deadLetters() {
            do {
                results[entry.signal.id] = try await reprocessDeadLetter(entry.signal.id)
            } catch SignalNodeError.deadLetterNotFound, SignalNodeError.deadLetterBusy {
                continue
            }
        }
        return results
    }

    /// Removes a dead letter without processing it (a dlq-resolve record
    /// with `discarded`).
    public func discardDeadLetter(_ signalID: String) throws {
        try state.withLock { (state) throws in
            guard state.phase != .closed else { throw SignalNodeError.closed }
            guard let entry = state.deadLetters[signalID] else { throw SignalNodeError.deadLetterNotFound(signalID) }
            guard !state.reprocessing.contains(signalID) else { throw SignalNodeError.deadLetterBusy(signalID) }
            _ = try append([.resolve(DeadLetterResolveRecord(signalID: signalID, resolution: .discarded, nodeID: nodeID,
                                                             correlationID: entry.signal.correlationID, time: clock.nowMicroseconds()),
                                     partition: entry.signal.partitionKey)], writer: &state.writer)
            state.recordsSinceCheckpoint += 1
            state.deadLetters.removeValue(forKey: signalID)
            state.totals.discarded += 1
        }
        metrics.discarded.increment()
        updateGauges()
    }

    // MARK: Shutdown

    /// Stops accepting (new signals get ``RejectionReason/shuttingDown``),
    /// lets the queues drain for up to `timeout`, then writes a
    /// clean-shutdown marker, syncs and closes the log.
    ///
    /// Signals that did not drain stay accepted-but-unprocessed in the log
    /// and are processed after the next open. Every outcome of a handler
    /// that finished before the deadline is written before the marker, so no
    /// finished signal is processed twice. A handler still running at the
    /// deadline is not waited for; its outcome is not recorded, so its
    /// signal is processed again after the next open.
    /// - Returns: whether every accepted signal was finished.
    @discardableResult
    public func gracefulShutdown(timeout: Duration) async -> Bool {
        let leader = state.withLock { state -> Bool in
            guard state.phase == .running else { return false }
            state.phase = .draining
            return true
        }
        guard leader else {
            await waitUntilClosed()
            return state.withLock { $0.drained ?? false }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let idle = work.withLock { $0.queues.depth == 0 && $0.activeWorkers == 0 }
            if idle || !options.processing || clock.now >= deadline { break }
            try? await Task.sleep(for: .milliseconds(2))
        }
        // Stop the workers and write, before the marker, every outcome they
        // hold: a signal whose handler finished is never processed again.
        // Holding the outcome writer's lock, no write of taken outcomes is under way.
        var written: [Recorded] = []
        let waiters = outcomeWriting.withLock { _ in state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let all = work.withLock { work in
                work.stopping = true
                return work.outcomes.values.sorted(by: { $0.partition < $1.partition })
            }
            stopRequested.store(true, ordering: .relaxed)
            var sealed: [(outcomes: WorkerOutcomes, buffer: OutcomeBuffer)] = []
            for outcomes in all {
                let buffer = outcomes.seal()
                if !buffer.isEmpty { sealed.append((outcomes, buffer)) }
            }
            if !sealed.isEmpty {
                let recorded = commit(prepare(sealed), state: &state)
                written.append(recorded)
                if let failure = recorded.failure {
                    logger.error("could not record processing outcomes at shutdown; the signals stay pending", metadata: ["error": "\(failure)"])
                }
            }
            let drained = work.withLock { $0.queues.depth == 0 }
            state.drained = drained
            writeCheckpoint(&state, type: .cleanShutdown)
            do {
                try log.sync()
                try log.close()
            } catch {
                logger.error("closing the log failed", metadata: ["error": "\(error)"])
            }
            state.phase = .closed
            defer { state.closeWaiters = [] }
            return state.closeWaiters
        } }
        for entry in written { publish(entry) }
        for waiter in waiters { waiter.resume() }
        let drained = state.withLock { $0.drained ?? false }
        logger.info("node shut down", metadata: ["node": "\(nodeID)", "drained": "\(drained)"])
        return drained
    }

    /// Returns once the node is closed.
    public func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let closed = state.withLock { state -> Bool in
                if state.phase == .closed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if closed { continuation.resume() }
        }
    }

    /// Whether the node has been shut down.
    public var isClosed: Bool { state.withLock { $0.phase == .closed } }

    /// ServiceLifecycle: runs until the node is shut down; a graceful
    /// shutdown of the service group (SIGTERM, say) drains the node with
    /// ``SignalNodeOptions/shutdownTimeout``; cancellation shuts it down
    /// without waiting for the queues.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                // Both handlers are in place from here on.
                serviceRuns.add(1, ordering: .releasing)
                await waitUntilClosed()
            } onCancel: {
                Task { await self.gracefulShutdown(timeout: .zero) }
            }
        } onGracefulShutdown: {
            Task { await self.gracefulShutdown(timeout: self.options.shutdownTimeout) }
        }
    }

    // MARK: Retention

    /// Applies a retention policy to the log without losing unresolved work:
    /// before a segment is removed, the pending and dead-lettered signals
    /// whose records it holds are appended again (carried forward, with
    /// their original acceptance sequence), followed by a checkpoint. A
    /// segment holding records from within the dedupe TTL is kept, so
    /// duplicates are still caught after a restart.
    @discardableResult
    public func applyRetention(_ policy: RetentionPolicy) throws -> [SegmentInfo] {
        let cutoff = clock.nowMicroseconds() - ttl
        return try log.applyRetention(policy) { segment in
            guard let last = segment.lastSequence else { return true }
            if let range = segment.timeRange, range.upperBound >= cutoff { return false }
            return try self.carryForward(from: segment.baseSequence...last)
        }
    }

    /// Re-appends pending and dead-lettered signals whose records lie in
    /// `range`, then a checkpoint; true when done.
    ///
    /// Pending work is carried as a whole: when any pending signal's record
    /// lies in `range`, every pending signal (those in memory, then the
    /// backlog read from the log) is appended again in processing order, so
    /// each partition's pending records stay in the log in its order and the
    /// backlog can still be read forward from one position. Retention that
    /// reaches pending work thus copies all of it once.
    func carryForward(from range: ClosedRange<UInt64>) throws -> Bool {
        let done = try state.withLock { (state) throws -> Bool in
            guard state.phase != .closed else { return false }
            // Acceptance and outcome writes wait for the state lock held
            // here, so the queues change only by refills, which wait too.
            let queues = work.withLock { work -> PartitionQueues in
                work.queues.moving = true
                return work.queues
            }
            defer {
                work.withLock { work in
                    work.queues.moving = false
                    work.queues.generation += 1
                }
            }
            var records: [OutRecord] = []
            func flush() throws {
                guard !records.isEmpty else { return }
                let expected = log.nextSequence
                let result = try append(records, writer: &state.writer)
                precondition(result.firstSequence == expected, "appends outside the node lock")
                records.removeAll(keepingCapacity: true)
            }
            var moved: [(partition: HashedString, index: Int, sequence: UInt64)] = []
            var frontier: UInt64?
            if queues.depth > 0, queues.resumeSequence(default: log.nextSequence) <= range.upperBound {
                var next = log.nextSequence
                for (key, queue) in queues.partitions.sorted(by: { $0.key.text < $1.key.text }) {
                    for (index, item) in queue.items.enumerated() {
                        records.append(.signal(item.signal, carriedFrom: item.order))
                        moved.append((key, index, next))
                        next += 1
                        if records.count >= Self.outcomeBatchRecords { try flush() }
                    }
                }
                try flush()
                frontier = log.nextSequence
                var backlog = PendingBacklog(queues)
                var statistics = ReadStatistics()
                try backlog.read(in: log, statistics: &statistics) { item, _ in
                    records.append(.signal(item.signal, carriedFrom: item.order))
                    if records.count >= Self.outcomeBatchRecords { try flush() }
                    return true
                }
                try flush()
            }
            var movedDead: [(String, UInt64)] = []
            var next = log.nextSequence
            for entry in state.deadLetters.values.sorted(by: { $0.sequence < $1.sequence }) where range.contains(entry.sequence) {
                let copy = next
                records.append(.signal(entry.signal, carriedFrom: entry.sequence))
                records.append(.move(DeadLetterMoveRecord(signalID: entry.signal.id, reason: entry.reason, error: entry.error, nodeID: entry.nodeID,
                                                          correlationID: entry.signal.correlationID, time: entry.time,
                                                          retryCount: entry.signal.retryCount, signalSequence: copy),
                                     partition: entry.signal.partitionKey))
                movedDead.append((entry.signal.id, copy))
                next += 2
            }
            try flush()
            work.withLock { work in
                for entry in moved { work.queues.partitions[entry.partition]!.items[entry.index].sequence = entry.sequence }
                if let frontier {
                    // The backlog now starts at its copies; the records it
                    // skipped as finished were not copied.
                    work.queues.frontier = frontier
                    work.queues.backlogEnd = log.nextSequence
                    for key in Array(work.queues.partitions.keys) { work.queues.partitions[key]!.cursor.finishedAhead = 0 }
                }
            }
            for (id, sequence) in movedDead { state.deadLetters[id]!.sequence = sequence }
            guard writeCheckpoint(&state, type: .checkpoint) else { return false }
            return true
        }
        scheduleRefill()
        return done
    }
}
