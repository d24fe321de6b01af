import Synchronization

/// Outcomes of a run of signals in one partition, written as one batch.
struct OutcomeBuffer: Sendable {
    var records: [SignalNode.OutRecord] = []
    /// Signals at the head of the partition that are finished (processed or dead-lettered).
    var finished = 0
    var processed = 0
    var failedAttempts = 0
    var deadLetters: [DeadLetter] = []
    var durations: [Int64] = []

    var isEmpty: Bool { records.isEmpty }

    mutating func merge(_ other: OutcomeBuffer) {
        records.append(contentsOf: other.records)
        finished += other.finished
        processed += other.processed
        failedAttempts += other.failedAttempts
        deadLetters.append(contentsOf: other.deadLetters)
        durations.append(contentsOf: other.durations)
    }
}

/// A partition worker's finished-but-unwritten outcomes, shared with
/// ``SignalNode/gracefulShutdown(timeout:)``: a worker batches the attempt
/// records of a run of signals before writing them, and shutdown must not
/// close the log while those records sit in the worker (their signals would
/// be processed again after reopen). Shutdown *seals* every worker's
/// outcomes under the node lock and writes them itself before the
/// clean-shutdown marker; a worker whose handler finishes after the seal
/// finds its outcome refused and stops (that signal stays pending).
final class WorkerOutcomes: Sendable {
    let partition: String
    private let state = Mutex<(buffer: OutcomeBuffer, sealed: Bool)>((OutcomeBuffer(), false))

    init(partition: String) { self.partition = partition }

    /// Adds one signal's outcomes; false once sealed (the outcome is dropped).
    func add(_ outcome: OutcomeBuffer) -> Bool {
        state.withLock { state in
            guard !state.sealed else { return false }
            state.buffer.merge(outcome)
            return true
        }
    }

    /// Head-of-partition signals finished but not yet written.
    var finished: Int { state.withLock { $0.buffer.finished } }

    var isEmpty: Bool { state.withLock { $0.buffer.isEmpty } }

    /// Takes the buffered outcomes to write them (nil once sealed).
    func take() -> OutcomeBuffer? {
        state.withLock { state in
            guard !state.sealed else { return nil }
            defer { state.buffer = OutcomeBuffer() }
            return state.buffer
        }
    }

    /// Takes the buffered outcomes and refuses all later ones.
    func seal() -> OutcomeBuffer {
        state.withLock { state in
            state.sealed = true
            defer { state.buffer = OutcomeBuffer() }
            return state.buffer
        }
    }
}
