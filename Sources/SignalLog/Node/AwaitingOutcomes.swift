/// Awaiting what the node does with accepted signals, without polling:
/// one signal's outcome, or the node going idle.
extension SignalNode {
    /// Waits until the signal `signalID` is finished and returns how:
    /// processed (on which attempt: more than one means it failed and was
    /// retried) or dead-lettered (with the reason, the error and the handler
    /// runs it took).
    ///
    /// Returns at once for a signal in the dead letter queue or one whose
    /// outcome the node remembers (it keeps the last `max(queueCapacity,
    /// 4096)` outcomes, at most 65 536, from the first call of this method
    /// on: a node nobody awaits spends nothing on them). For a signal that
    /// is neither remembered nor pending in memory, the outcome is looked
    /// up in the log (a read of the signal kinds: there is no index by
    /// signal id); if the log has none yet, the call waits. A dead letter
    /// from before this node opened reports the retry policy's maximum
    /// attempts for `processing_failed` (the exact history is
    /// ``attempts(of:partition:)``).
    ///
    /// Call it for a signal the node accepted: an id that is never
    /// processed waits until the node shuts down.
    ///
    /// - Parameter signalID: the id of an accepted signal.
    /// - Returns: how its processing ended.
    /// - Throws: ``SignalNodeError/closed`` when the node shuts down first;
    ///   `CancellationError` when the calling task is cancelled.
    public func outcome(of signalID: String) async throws -> SignalOutcome {
        if let entry = state.withLock({ $0.deadLetters[signalID] }) {
            return waiters.withLock { $0.outcome(of: signalID) }
                ?? .deadLettered(reason: entry.reason, error: entry.error, attempts: entry.reason == .processingFailed ? options.retry.maxAttempts : 0)
        }
        // From here on every outcome write collects outcomes: one finished
        // after this point reaches the waiter below; one finished before it
        // is in the log (written before its signal left the queue).
        outcomeTracking.store(true, ordering: .releasing)
        let token = waiters.withLock { $0.token() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: OutcomeWaiters.OutcomeContinuation) in
                let answer = waiters.withLock { waiters -> Result<SignalOutcome, any Error>? in
                    if let known = waiters.outcome(of: signalID) { return .success(known) }
                    if waiters.closed { return .failure(SignalNodeError.closed) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    waiters.wait(for: signalID, token: token, continuation)
                    return nil
                }
                if let answer {
                    continuation.resume(with: answer)
                    return
                }
                // Waiting: unless the signal is pending in memory, it may
                // have finished before tracking began; the log says.
                let pendingInMemory = work.withLock { work in
                    work.queues.partitions.values.contains { queue in queue.items.contains { $0.signal.id == signalID } }
                }
                guard !pendingInMemory, let logged = loggedOutcome(of: signalID) else { return }
                waiters.withLock { $0.cancel(signalID: signalID, token: token) }?.resume(returning: logged)
            }
        } onCancel: {
            waiters.withLock { $0.cancel(signalID: signalID, token: token) }?.resume(throwing: CancellationError())
        }
    }

    /// The signal's outcome as its last delivery's records in the log tell it, or nil.
    private func loggedOutcome(of signalID: String) -> SignalOutcome? {
        guard let history = try? SignalHistory.read(log, .signalID(signalID)) else { return nil }
        var outcome: SignalOutcome?
        var failedRuns = 0
        for entry in history.entries {
            switch entry.decoded {
            case .signal: failedRuns = 0; outcome = nil
            case .attempt(let record):
                switch record.attempt.outcome {
                case .processed: outcome = .processed(attempts: record.attempt.attempt)
                case .failed: failedRuns = record.attempt.attempt
                default: break
                }
            case .deadLetterMove(let move): outcome = .deadLettered(reason: move.reason, error: move.error, attempts: move.reason == .processingFailed ? failedRuns : 0)
            case .deadLetterResolve, .marker: break
            }
        }
        return outcome
    }

    /// Waits until nothing is pending: every accepted signal processed or
    /// dead-lettered and its outcome written. Returns at once when nothing
    /// is pending; a paused or accept-only node with pending signals waits
    /// (until ``resume()``, or until shutdown).
    /// - Throws: ``SignalNodeError/closed`` when the node shuts down with
    ///   signals still pending; `CancellationError` when the calling task is cancelled.
    public func waitUntilIdle() async throws {
        let token = waiters.withLock { $0.token() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: OutcomeWaiters.IdleContinuation) in
                // The depth is read under the work lock, where outcome writes
                // that empty the queues take the idle waiters.
                let answer = work.withLock { work -> Result<Void, any Error>? in
                    if work.queues.depth == 0 { return .success(()) }
                    return waiters.withLock { waiters in
                        if waiters.closed { return .failure(SignalNodeError.closed) }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        waiters.waitIdle(token: token, continuation)
                        return nil
                    }
                }
                if let answer { continuation.resume(with: answer) }
            }
        } onCancel: {
            waiters.withLock { $0.cancelIdle(token: token) }?.resume(throwing: CancellationError())
        }
    }

    /// Ends every wait at close: outcome waiters get ``SignalNodeError/closed``,
    /// idle waiters return if nothing is pending and get it otherwise.
    func releaseWaiters(drained: Bool) {
        let (outcomes, idle) = waiters.withLock { $0.takeAll() }
        for continuation in outcomes { continuation.resume(throwing: SignalNodeError.closed) }
        for continuation in idle {
            if drained { continuation.resume() } else { continuation.resume(throwing: SignalNodeError.closed) }
        }
    }
}
