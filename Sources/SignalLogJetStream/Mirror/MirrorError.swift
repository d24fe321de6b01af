import SegmentLog

/// Why a mirror stopped.
public enum MirrorError: Error, Sendable, CustomStringConvertible {
    /// Reading the log failed (damage, a removed segment...).
    case log(SegmentLogError)
    /// JetStream refused something that retrying cannot fix.
    case jetStream(JetStreamError)
    /// The stream has records up to `streamNext - 1`, but the log's oldest
    /// record is later: retention removed records never mirrored.
    case recordsRemoved(logID: String, stream: String, streamNext: UInt64, logFirst: UInt64)
    /// The stream holds records of this log id beyond the log's end: another
    /// log with the same id was mirrored there.
    case streamAhead(logID: String, stream: String, streamNext: UInt64, logNext: UInt64)
    /// The stream's last message for this log carries no readable sequence header.
    case foreignMessage(stream: String, subject: String, streamSequence: UInt64)
    /// The stream stored a record ahead of one before it.
    case outOfOrder(stream: String, logSequence: UInt64, streamSequence: UInt64, previousStreamSequence: UInt64)
    /// The stream does not capture this log's subjects.
    case streamDoesNotCapture(stream: String, subject: String, subjects: [String])
    /// No acknowledgement for longer than ``MirrorOptions/giveUpAfter``.
    case unavailable(stream: String, seconds: Double, lastError: String)

    public var description: String {
        switch self {
        case let .log(error): return "reading the log: \(error)"
        case let .jetStream(error): return "\(error)"
        case let .recordsRemoved(logID, stream, streamNext, logFirst):
            return "stream \(stream) holds log \(logID) up to sequence \(Int64(streamNext) - 1), but the log now starts at \(logFirst): records \(streamNext)…\(logFirst - 1) were removed before they were mirrored"
        case let .streamAhead(logID, stream, streamNext, logNext):
            return "stream \(stream) holds log \(logID) up to sequence \(streamNext - 1), past the log's end at \(logNext): is another log mirrored under the same id? (choose one with --log)"
        case let .foreignMessage(stream, subject, streamSequence):
            return "stream \(stream) message \(streamSequence) on \(subject) has no SignalLog-Sequence header"
        case let .outOfOrder(stream, logSequence, streamSequence, previous):
            return "stream \(stream) stored log sequence \(logSequence) as message \(streamSequence), before message \(previous) of an earlier record"
        case let .streamDoesNotCapture(stream, subject, subjects):
            return "stream \(stream) captures \(subjects.joined(separator: ", ")), not \(subject)"
        case let .unavailable(stream, seconds, lastError):
            return "no acknowledgement from stream \(stream) for \(Int(seconds))s; last error: \(lastError)"
        }
    }
}
