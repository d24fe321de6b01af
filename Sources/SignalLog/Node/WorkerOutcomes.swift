import SegmentLog

/// Outcomes of a run of signals in one partition, written as one batch.
struct OutcomeBuffer: Sendable {
    /// The outcome records, encoded as they are added (by the worker, on
    /// its own thread): payloads back to back, and each record's kind and
    /// the end of its payload. They all belong to the buffer's partition.
    private(set) var payloads = ByteWriter(capacity: 0)
    private(set) var records: [(kind: SignalRecordKind, end: Int)] = []
    /// Signals at the head of the partition that are finished (processed or dead-lettered).
    var finished = 0
    var processed = 0
    var failedAttempts = 0
    var deadLetters: [DeadLetter] = []
    var durations: [Int64] = []

    var isEmpty: Bool { records.isEmpty }

    mutating func append(_ attempt: ProcessingAttempt) {
        AttemptRecord.encode(attempt, into: &payloads)
        records.append((.attempt, payloads.bytes.count))
    }

    /// Adds the attempt that processed a signal, and counts it finished.
    mutating func appendProcessed(_ signal: Signal, by run: HandlerRun, attempt: Int, nodeID: String) {
        AttemptRecord.encode(signalID: signal.id, nodeID: nodeID, correlationID: signal.correlationID, startedAt: run.startedAt,
                             duration: run.duration, attempt: attempt, outcome: .processed, into: &payloads)
        records.append((.attempt, payloads.bytes.count))
        durations.append(run.duration)
        processed += 1
        finished += 1
    }

    mutating func append(_ move: DeadLetterMoveRecord) {
        payloads.bytes.append(contentsOf: move.encode())
        records.append((.deadLetterMove, payloads.bytes.count))
    }

    /// Calls `body` with each record's kind and payload, in order.
    func forEachRecord(_ body: (SignalRecordKind, UnsafeRawBufferPointer) -> Void) {
        payloads.bytes.withUnsafeBytes { all in
            var start = 0
            for (kind, end) in records {
                body(kind, UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    mutating func merge(_ other: OutcomeBuffer) {
        let shift = payloads.bytes.count
        payloads.bytes.append(contentsOf: other.payloads.bytes)
        records.append(contentsOf: other.records.lazy.map { ($0.kind, $0.end + shift) })
        mergeCounts(other)
    }

    /// Merges everything but the records (what metrics need).
    mutating func mergeCounts(_ other: OutcomeBuffer) {
        finished += other.finished
        processed += other.processed
        failedAttempts += other.failedAttempts
        deadLetters.append(contentsOf: other.deadLetters)
        durations.append(contentsOf: other.durations)
    }
}

/// A partition's finished-but-unwritten outcomes, shared by its worker,
/// the outcome writer (``SignalNode/writeOutbox(unlessBusy:)``) and
/// ``SignalNode/gracefulShutdown(timeout:)``.
///
/// Finished signals stay at the head of their partition's queue until their
/// outcomes are written, and the worker takes its next signals after
/// ``finished`` of them. Outcomes *taken* for writing still count as
/// finished until ``removed(_:)`` says the writer removed their signals from
/// the queue (both under the node's work lock), so a worker never runs a
/// signal twice while its outcome is being written.
///
/// Shutdown must not close the log while outcomes sit here (their signals
/// would be processed again after reopen): it *seals* every partition's
/// outcomes and writes them itself before the clean-shutdown marker; a
/// worker whose handler finishes after the seal finds its outcome refused
/// and stops (that signal stays pending). Shutdown seals while holding the
/// outcome writer's lock, so no outcomes taken for a write are in flight.
final class WorkerOutcomes: Sendable {
    let key: HashedString
    var partition: String { key.text }
    private struct State {
        var buffer = OutcomeBuffer()
        /// Finished signals taken for writing, still in the queue.
        var taken = 0
        var sealed = false
    }
    private let state = LockedValue(State())

    init(partition key: HashedString) { self.key = key }

    /// Adds one signal's outcomes; false once sealed (the outcome is dropped).
    func add(_ outcome: OutcomeBuffer) -> Bool {
        state.withLock { state in
            guard !state.sealed else { return false }
            state.buffer.merge(outcome)
            return true
        }
    }

    /// Adds the attempt that processed the next signal (the common case,
    /// encoded straight into the buffer from the signal); false once sealed.
    func addProcessed(_ signal: Signal, by run: HandlerRun, attempt: Int, nodeID: String) -> Bool {
        state.withLock { state in
            guard !state.sealed else { return false }
            state.buffer.appendProcessed(signal, by: run, attempt: attempt, nodeID: nodeID)
            return true
        }
    }

    /// Signals at the head of the partition's queue that are finished:
    /// buffered, or taken and not yet removed from the queue.
    var finished: Int { state.withLock { $0.buffer.finished + $0.taken } }

    var isEmpty: Bool { state.withLock { $0.buffer.isEmpty } }

    /// Takes the buffered outcomes to write them (nil once sealed). Their
    /// signals count as finished until ``removed(_:)`` or ``putBack(_:)``.
    func take() -> OutcomeBuffer? {
        state.withLock { state in
            guard !state.sealed else { return nil }
            defer { state.buffer = OutcomeBuffer() }
            state.taken += state.buffer.finished
            return state.buffer
        }
    }

    /// The writer removed `count` taken signals from the head of the queue.
    func removed(_ count: Int) {
        state.withLock { $0.taken -= count }
    }

    /// Returns outcomes taken by ``take()`` that could not be written,
    /// ahead of any added since.
    func putBack(_ buffer: OutcomeBuffer) {
        state.withLock { state in
            state.taken -= buffer.finished
            var restored = buffer
            restored.merge(state.buffer)
            state.buffer = restored
        }
    }

    /// Takes the buffered outcomes (counted as taken, like ``take()``) and
    /// refuses all later ones.
    func seal() -> OutcomeBuffer {
        state.withLock { state in
            state.sealed = true
            defer { state.buffer = OutcomeBuffer() }
            state.taken += state.buffer.finished
            return state.buffer
        }
    }
}
