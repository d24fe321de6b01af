/// What every replayed record has, without switching on the case.
extension ReplayEntry {
    /// The record's kind.
    public var kind: SignalRecordKind {
        switch self {
        case .signal: return .signal
        case .attempt: return .attempt
        case .deadLetterMove: return .deadLetterMove
        case .deadLetterResolve: return .deadLetterResolve
        }
    }

    /// When the log appended the record (microseconds since the epoch).
    public var appendedAt: Int64 {
        switch self {
        case .signal(let signal): return signal.appendedAt
        case .attempt(_, _, let time), .deadLetterMove(_, _, let time), .deadLetterResolve(_, _, let time): return time
        }
    }

    /// When the event happened by the record's own clock (microseconds):
    /// a signal's creation time, an attempt's start, a dead-letter move's
    /// or resolution's time.
    public var eventTime: Int64 {
        switch self {
        case .signal(let signal): return signal.signal.createdAt
        case .attempt(let attempt, _, _): return attempt.startedAt
        case .deadLetterMove(let move, _, _): return move.time
        case .deadLetterResolve(let resolve, _, _): return resolve.time
        }
    }

    /// The correlation id the record carries.
    public var correlationID: String {
        switch self {
        case .signal(let signal): return signal.correlationID
        case .attempt(let attempt, _, _): return attempt.correlationID
        case .deadLetterMove(let move, _, _): return move.correlationID
        case .deadLetterResolve(let resolve, _, _): return resolve.correlationID
        }
    }
}
