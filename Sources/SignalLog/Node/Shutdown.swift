import Logging
import SegmentLog
import ServiceLifecycle

/// Graceful shutdown and the ServiceLifecycle `Service` conformance.
extension SignalNode {
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
    ///
    /// - Parameter timeout: how long the queues may drain before the marker is
    ///   written; `.zero` writes it at once.
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
        // The deadline is on the node's clock (a test's ManualClock too).
        let deadline = clock.nowMicroseconds() + micros(timeout)
        if options.processing, !isPaused {
            let clock = self.clock
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await self.waitUntilIdle() }
                group.addTask { try? await clock.sleep(untilMicroseconds: deadline) }
                await group.next()
                group.cancelAll()
            }
        }
        // Stop the workers and write, before the marker, every outcome they
        // hold: a signal whose handler finished is never processed again.
        // Holding the outcome writer's lock, no write of taken outcomes is under way.
        var written: [Recorded] = []
        let closeWaiters = outcomeWriting.withLock { _ in state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let all = work.withLock { work in
                work.stopping = true
                return work.outcomes.values.sorted(by: { $0.partition < $1.partition })
            }
            stopRequested.store(true, ordering: .relaxed)
            stopSignal.raise()
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
        let drained = state.withLock { $0.drained ?? false }
        releaseWaiters(drained: drained)
        for waiter in closeWaiters { waiter.resume() }
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
    ///
    /// - Throws: nothing of its own: shutdown is how it ends, and failures while
    ///   closing are logged, not thrown. It is `throws` as the `Service`
    ///   protocol declares it.
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
}
