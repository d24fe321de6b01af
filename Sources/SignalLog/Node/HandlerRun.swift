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
