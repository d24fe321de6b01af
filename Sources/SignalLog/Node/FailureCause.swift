/// Why processing a signal failed: the split of the error count
/// (``QueueMetrics/errorsByCause``, the `cause` dimension of
/// `signallog_errors_total`, `signallog info`) and what a circuit breaker
/// may count (``CircuitBreakerConfiguration/countedFailures``).
///
/// Every failed processing outcome has exactly one cause: a handler run that
/// threw (whether it is retried or the last allowed attempt), or a signal
/// dead-lettered without running a handler. Refusals at acceptance (breaker,
/// backpressure, shutdown, validation), duplicates and conflicts are not
/// processing outcomes and never count.
public enum FailureCause: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A handler threw (one failed attempt).
    case handlerFailed = "handler_failed"
    /// No handler is registered for the signal's type (dead-lettered).
    case unknownSignalType = "unknown_signal_type"
    /// The signal's schema version is not supported (dead-lettered).
    case unsupportedSchemaVersion = "unsupported_schema_version"
    /// The signal has no schema version (dead-lettered).
    case missingSchemaVersion = "missing_schema_version"
    /// An upcaster threw (dead-lettered).
    case upcastFailed = "upcast_failed"

    /// The cause of a dead-lettering that ran no handler; nil for
    /// ``DeadLetterReason/processingFailed``, whose failed attempts are
    /// counted as ``handlerFailed`` already.
    ///
    /// - Parameter reason: why the signal was dead-lettered.
    public init?(deadLetterReason reason: DeadLetterReason) {
        switch reason {
        case .unknownSignalType: self = .unknownSignalType
        case .unsupportedSchemaVersion: self = .unsupportedSchemaVersion
        case .missingSchemaVersion: self = .missingSchemaVersion
        case .upcastFailed: self = .upcastFailed
        case .processingFailed: return nil
        }
    }

    public var description: String { rawValue }
}
