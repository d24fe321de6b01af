/// Why a node refused a signal. Refused signals are not written as signal
/// records (an attempt record with outcome `rejected` notes the refusal) and
/// do not count as circuit-breaker failures.
public enum RejectionReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// The circuit breaker is open (or half-open with its probes taken).
    case circuitOpen
    /// The queue is at capacity (see ``Backpressure``).
    case backpressure(Backpressure)
    /// ``SignalNode/gracefulShutdown(timeout:)`` has begun.
    case shuttingDown
    /// The signal is malformed (empty type or source, urgency outside 0–1,
    /// invalid traceparent, ...).
    case invalidSignal(String)

    /// Short reason code, as recorded in attempt records and metric labels.
    public var code: String {
        switch self {
        case .circuitOpen: return "circuit_open"
        case .backpressure: return "backpressure"
        case .shuttingDown: return "shutting_down"
        case .invalidSignal: return "invalid_signal"
        }
    }

    public var description: String {
        switch self {
        case .circuitOpen: return "circuit_open: the circuit breaker is open"
        case .backpressure(let pressure): return "backpressure: \(pressure)"
        case .shuttingDown: return "shutting_down: the node is shutting down"
        case .invalidSignal(let reason): return "invalid_signal: \(reason)"
        }
    }
}

/// What ``SignalNode/receive(_:)`` did with a signal.
public enum ReceiveResult: Sendable, Equatable {
    /// Written to the log (this is the acknowledgement) and queued.
    case accepted(sequence: UInt64)
    /// The idempotency key was seen within the TTL with the same payload.
    case duplicate(originalID: String)
    /// The idempotency key was seen within the TTL with a different payload.
    case conflict(originalID: String)
    /// Refused; nothing was queued.
    case rejected(RejectionReason)

    public var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }
}

/// A dead-lettered signal as ``SignalNode/deadLetters()`` lists it.
public struct DeadLetter: Sendable, Equatable {
    public var signal: Signal
    public var reason: DeadLetterReason
    /// The error text of the last failure.
    public var error: String
    /// When it was (last) moved to the queue, microseconds since the epoch.
    public var time: Int64
    public var nodeID: String
    /// The log sequence of the signal record.
    public var sequence: UInt64

    public var signalID: String { signal.id }
    public var type: String { signal.type }
    public var sourceID: String { signal.sourceID }
    public var correlationID: String { signal.correlationID }
    public var retryCount: Int { signal.retryCount }
    public var content: SignalContent { signal.content }
}

/// A snapshot of a node's queues and counters (also published through
/// swift-metrics under the names in docs/signals.md).
public struct QueueMetrics: Sendable, Equatable {
    /// Accepted signals not yet finished.
    public var queueDepth: Int
    public var queueCapacity: Int
    public var depthByPartition: [String: Int]
    /// Age of the oldest queued signal (since acceptance), seconds.
    public var maxMessageAge: Double
    /// Mean age of queued signals, seconds.
    public var meanMessageAge: Double
    /// Signals processed per second over the last 10 seconds.
    public var throughputPerSecond: Double
    /// Errors / (processed attempts + errors), since the log began: the
    /// share of processing outcomes that failed (``SignalTotals/errorRate``).
    public var errorRate: Double
    /// Every failed processing outcome since the log began: failed handler
    /// attempts and dead-letterings that ran no handler (unknown type,
    /// schema version, upcaster). Refusals at acceptance are not errors.
    public var errorCount: UInt64
    /// ``errorCount`` by cause (every cause present).
    public var errorsByCause: [FailureCause: UInt64]
    public var deadLetterCount: Int
    public var duplicateCount: UInt64
    public var circuitState: CircuitState
    /// Every counter since the log began (rebuilt at open).
    public var totals: SignalTotals
}

/// One target's answer to ``SignalNode/send(_:to:)``.
public enum SendOutcome: Sendable, Equatable {
    /// The target's `receive` answered.
    case delivered(ReceiveResult)
    /// The sender did not deliver: the target's queue is past the refusal threshold.
    case refused(Backpressure)
    /// The target's `receive` threw (a storage error).
    case failed(String)

    /// Why the target did not take the signal, or nil when it did
    /// (accepted, or a duplicate of one it has).
    public var refusal: SendRefusal? {
        switch self {
        case .delivered(.accepted), .delivered(.duplicate): return nil
        case .delivered(.conflict): return .conflict
        case .delivered(.rejected(let reason)):
            switch reason {
            case .backpressure: return .backpressure
            case .circuitOpen: return .circuitOpen
            case .shuttingDown: return .shuttingDown
            case .invalidSignal: return .invalidSignal
            }
        case .refused: return .backpressure
        case .failed: return .failed
        }
    }
}

/// Why a target of ``SignalNode/send(_:to:)`` did not take a signal, for
/// grouping (``SendReport/refusedTargetsByCause``). Backpressure is one
/// cause whether the sender refused at the threshold or the target's
/// `receive` found its queue full.
public enum SendRefusal: String, Sendable, Hashable, CaseIterable {
    case backpressure
    case circuitOpen = "circuit_open"
    case shuttingDown = "shutting_down"
    case invalidSignal = "invalid_signal"
    /// The target has the idempotency key with another payload.
    case conflict
    /// The target's `receive` threw.
    case failed
}

/// What ``SignalNode/send(_:to:)`` did per target.
public struct SendReport: Sendable, Equatable {
    /// One target's line of the report.
    public struct TargetOutcome: Sendable, Equatable {
        public var target: String
        public var outcome: SendOutcome
        /// Set when this send found the target's queue past the warning
        /// threshold (80 %) on a new crossing: the warning the sender logged
        /// and counted, once per crossing.
        public var warning: Backpressure?
    }

    /// Per target, in the order given.
    public var outcomes: [TargetOutcome]

    /// Targets that did not take the signal, whatever the cause.
    public var refusedTargets: [String] { outcomes.filter { $0.outcome.refusal != nil }.map(\.target) }

    /// Targets that did not take the signal, grouped by cause: a caller
    /// backs off from `.backpressure` and `.circuitOpen` targets, but not
    /// from `.invalidSignal` (the signal is at fault) or `.failed` (storage).
    public var refusedTargetsByCause: [SendRefusal: [String]] {
        var groups: [SendRefusal: [String]] = [:]
        for entry in outcomes {
            if let cause = entry.outcome.refusal { groups[cause, default: []].append(entry.target) }
        }
        return groups
    }

    /// Targets this send warned about (see ``TargetOutcome/warning``).
    public var warnings: [(target: String, backpressure: Backpressure)] {
        outcomes.compactMap { entry in entry.warning.map { (entry.target, $0) } }
    }

    public var allAccepted: Bool { refusedTargets.isEmpty }
}

/// Anything ``SignalNode/send(_:to:)`` can deliver to (a ``SignalNode`` in this process).
public protocol SignalTarget: Sendable {
    var nodeID: String { get }
    /// Accepted-but-unprocessed signals.
    var queueDepth: Int { get }
    var queueCapacity: Int { get }
    /// Accepts one signal, as ``SignalNode/receive(_:)`` does.
    ///
    /// - Parameter signal: the signal to accept.
    /// - Returns: whether it was accepted, a duplicate, a conflict or rejected, and why.
    /// - Throws: when the target cannot record the signal (for a ``SignalNode``,
    ///   `SegmentLogError` when its log cannot be written); nothing was accepted then.
    func receive(_ signal: Signal) throws -> ReceiveResult
}
