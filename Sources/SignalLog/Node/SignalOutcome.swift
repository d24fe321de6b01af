/// What became of an accepted signal once the node finished it: what
/// ``SignalNode/outcome(of:)`` returns.
public enum SignalOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The handler succeeded on attempt number `attempts` (1-based). More
    /// than one attempt means earlier ones failed and were retried.
    case processed(attempts: Int)
    /// The signal was moved to the dead letter queue, after `attempts`
    /// failed handler runs (0 when no handler ran: unknown type, schema).
    case deadLettered(reason: DeadLetterReason, error: String, attempts: Int)

    /// Whether it ended processed.
    public var isProcessed: Bool {
        if case .processed = self { return true }
        return false
    }

    /// Whether at least one attempt failed and was retried before the end.
    public var wasRetried: Bool {
        switch self {
        case .processed(let attempts): return attempts > 1
        case .deadLettered(_, _, let attempts): return attempts > 1
        }
    }

    public var description: String {
        switch self {
        case .processed(let attempts): return attempts == 1 ? "processed" : "processed on attempt \(attempts)"
        case let .deadLettered(reason, error, attempts): return "dead-lettered (\(reason)) after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(error)"
        }
    }
}
