/// Awaiting what the node does with accepted signals, without polling:
/// one signal's outcome, or the node going idle.
extension SignalNode {
    /// Waits until the signal `signalID` is finished and returns how:
    /// processed (on which attempt: more than one means it failed and was
    /// retried) or dead-lettered (with the reason and error).
    ///
    /// Returns at once for a signal that finished recently (the node
    /// remembers the last `max(queueCapacity, 4096)` outcomes, at most
    /// 65 536) or that is in the dead letter queue (one dead-lettered before
    /// this node opened reports the retry policy's attempts for
    /// `processing_failed`: the exact history is ``attempts(of:partition:)``);
    /// otherwise it waits for the signal to finish. Call it for a signal the node accepted: an id
    /// that is never processed (unknown, or finished long ago: see
    /// ``attempts(of:)`` for history) waits until the node shuts down.
    /// - Throws: ``SignalNodeError/closed`` when the node shuts down first;
    ///   `CancellationError` when the calling task is cancelled.
    public func outcome(of signalID: String) async throws -> SignalOutcome {
        if let entry = state.withLock({ $0.deadLetters[signalID] }) {
            return waiters.withLock { $0.outcome(of: signalID) }
                ?? .deadLettered(reason: entry.reason, error: entry.error, attempts: entry.reason == .processingFailed ? options.retry.maxAttempts : 0)
        }
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
                if let answer { continuation.resume(with: answer) }
            }
        } onCancel: {
            waiters.withLock { $0.cancel(signalID: signalID, token: token) }?.resume(throwing: CancellationError())
        }
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
