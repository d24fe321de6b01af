import SegmentLog

/// Why a restore stopped.
public enum RestoreError: Error, Sendable, CustomStringConvertible {
    /// Writing the log failed.
    case log(SegmentLogError)
    /// JetStream refused or did not answer.
    case jetStream(JetStreamError)
    /// The stream lacks records `expected ..< found` of the log.
    case gap(logID: String, stream: String, expected: UInt64, found: UInt64, streamSequence: UInt64)
    /// A message without the record headers a mirror writes.
    case malformedMessage(stream: String, subject: String, streamSequence: UInt64)
    /// The stream stopped delivering before every message was read.
    case incomplete(stream: String, received: UInt64, expected: UInt64)

    public var description: String {
        switch self {
        case let .log(error): return "writing the log: \(error)"
        case let .jetStream(error): return "\(error)"
        case let .gap(logID, stream, expected, found, streamSequence):
            return "stream \(stream) lacks records \(expected)…\(found - 1) of log \(logID) (message \(streamSequence) holds \(found))"
        case let .malformedMessage(stream, subject, streamSequence):
            return "stream \(stream) message \(streamSequence) on \(subject) lacks the SignalLog record headers"
        case let .incomplete(stream, received, expected):
            return "stream \(stream) delivered \(received) of \(expected) messages and then stopped"
        }
    }
}
