import Logging
import SegmentLog
import Tracing

/// Reads `traceparent` from a dictionary carrier.
struct TraceparentExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

/// Workers: one per partition with pending signals, processing it in order.
extension SignalNode {
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
                guard !work.stopping, !work.paused, let queue = work.queues.partitions[key], finished < queue.items.count else { return [] }
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
                // Paused: the rest of the run waits for resume() (it is still queued).
                if pauseRequested.load(ordering: .relaxed) { break }
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
            if let queue = work.queues.partitions[key], queue.items.count > outcomes.finished, !work.stopping, !work.paused {
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
            breaker.recordFailure(signal.id, cause: FailureCause(deadLetterReason: reason) ?? .upcastFailed)
            return addDeadLetter(buffer, to: outcomes)
        }
        guard let handler else {
            deadLetter(item, reason: .unknownSignalType, error: "no handler registered for signal type \"\(signal.type)\"", buffer: &buffer)
            breaker.recordFailure(signal.id, cause: .unknownSignalType)
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
            // The retry is due a backoff after this failure, on the node's clock.
            let retryAt = clock.nowMicroseconds() + micros(options.retry.backoff(after: attempt))
            let record = result.attempt(on: current, number: attempt, nodeID: nodeID)
            buffer.append(record)
            buffer.durations.append(record.duration)
            breaker.recordFailure(signal.id, cause: .handlerFailed)
            buffer.failedAttempts += 1
            history.append(record)
            if attempt >= max(1, options.retry.maxAttempts) {
                deadLetter(item, reason: .processingFailed, error: failure, attempts: attempt, buffer: &buffer)
                return addDeadLetter(buffer, to: outcomes)
            }
            // Retry: the partition waits; record the failure first.
            guard outcomes.add(buffer) else { return false }
            post(outcomes, write: true)
            guard outcomes.isEmpty else { return false }
            buffer = OutcomeBuffer()
            await sleepUnlessStopped(untilMicroseconds: retryAt)
            if work.withLock({ $0.stopping }) { return false }
            attempt += 1
        }
    }

    /// Sleeps on the node's clock until `deadline`, or until shutdown
    /// stops the workers, whichever comes first.
    func sleepUnlessStopped(untilMicroseconds deadline: Int64) async {
        if deadline <= clock.nowMicroseconds() { return }
        let clock = self.clock, stop = stopSignal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(untilMicroseconds: deadline) }
            group.addTask { await stop.wait() }
            await group.next()
            group.cancelAll()
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

    private func deadLetter(_ item: PendingSignal, reason: DeadLetterReason, error: String, attempts: Int = 0, buffer: inout OutcomeBuffer) {
        let now = clock.nowMicroseconds()
        let signal = item.signal
        buffer.append(DeadLetterMoveRecord(
            signalID: signal.id, reason: reason, error: error, nodeID: nodeID, correlationID: signal.correlationID,
            time: now, retryCount: signal.retryCount, signalSequence: item.sequence))
        buffer.deadLetters.append(DeadLetter(signal: signal, reason: reason, error: error, time: now, nodeID: nodeID, sequence: item.sequence))
        buffer.finished += 1
        buffer.finishedAttempts.append(Int32(clamping: attempts))
        logger.warning("signal dead-lettered", metadata: [
            "signal_id": "\(signal.id)", "reason": "\(reason)", "error": "\(error)", "correlation_id": "\(signal.correlationID)",
        ])
    }
}
