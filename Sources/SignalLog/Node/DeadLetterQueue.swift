import SegmentLog

/// The dead letter queue: listing, reprocessing and discarding dead letters.
extension SignalNode {
    /// The dead letter queue, oldest move first.
    public func deadLetters() -> [DeadLetter] {
        state.withLock { $0.deadLetters.values.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) } }
    }

    /// Retries one dead letter now (outside its partition's order), with its
    /// retry count incremented. On success it leaves the queue (a dlq-resolve
    /// record); on failure it stays with the new error (a new dlq-move record).
    ///
    /// - Parameter signalID: the id of the dead letter's signal.
    /// - Returns: whether processing succeeded.
    /// - Throws: ``SignalNodeError/closed`` once the node is shut down,
    ///   ``SignalNodeError/deadLetterNotFound(_:)`` when no dead letter has that id,
    ///   ``SignalNodeError/deadLetterBusy(_:)`` when another caller is reprocessing
    ///   it; `SegmentLogError` when the outcome cannot be appended. A handler's
    ///   failure is not thrown: it returns false.
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
                state.totals.countFailure(reason)
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
            metrics.errors[.handlerFailed]?.increment()
        } else if let (reason, _) = failure, let cause = FailureCause(deadLetterReason: reason) {
            metrics.errors[cause]?.increment()
        }
        updateGauges()
        return failure == nil
    }

    /// Reprocesses every dead letter (oldest first).
    /// - Returns: signal id → whether it succeeded.
    ///
    /// - Throws: ``SignalNodeError/closed`` once the node is shut down;
    ///   `SegmentLogError` when an outcome cannot be appended. Dead letters removed
    ///   or taken by another caller meanwhile are skipped.
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
    ///
    /// - Parameter signalID: the id of the dead letter's signal.
    /// - Throws: ``SignalNodeError/closed`` once the node is shut down,
    ///   ``SignalNodeError/deadLetterNotFound(_:)`` when no dead letter has that id,
    ///   ``SignalNodeError/deadLetterBusy(_:)`` while it is being reprocessed;
    ///   `SegmentLogError` when the record cannot be appended.
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
}
