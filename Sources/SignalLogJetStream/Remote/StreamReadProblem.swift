/// Something a ``StreamLogReader`` could not read, or found missing. Every
/// one is reported; none is passed over silently.
public enum StreamReadProblem: Sendable, Equatable, CustomStringConvertible {
    /// Log sequences `expected…found-1` are not in the stream: the next
    /// record it holds (at `streamSequence`) is `found`.
    case gap(logID: String, stream: String, expected: UInt64, found: UInt64, streamSequence: UInt64)
    /// A message of the log that is neither a record nor a batch message.
    case unreadable(stream: String, subject: String, streamSequence: UInt64, reason: String)

    public var description: String {
        switch self {
        case let .gap(logID, stream, expected, found, streamSequence):
            let missing = found - expected == 1 ? "record \(expected) is" : "records \(expected)…\(found - 1) are"
            return "stream \(stream): log \(logID) \(missing) missing (the next message, stream sequence \(streamSequence), holds \(found))"
        case let .unreadable(stream, subject, streamSequence, reason):
            return "stream \(stream) sequence \(streamSequence) (\(subject)) is unreadable: \(reason)"
        }
    }
}

/// What a ``StreamLogReader`` read.
public struct StreamReadSummary: Sendable, Equatable {
    /// Messages of the log read from the stream.
    public var messages: UInt64 = 0
    /// Records they held (before filtering) and records that passed the query.
    public var records: UInt64 = 0
    public var matched: UInt64 = 0
    /// Records the stream holds more than once (a mirror that switched
    /// modes: docs/jetstream.md), delivered once.
    public var repeated: UInt64 = 0
    /// The first and last log sequence seen, if any.
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
    /// Gaps and unreadable messages, in the order met.
    public var problems: [StreamReadProblem] = []

    public init() {}
}

/// Why a ``StreamLogReader`` stopped.
public enum StreamReadError: Error, Sendable, CustomStringConvertible {
    case jetStream(JetStreamError)
    /// The stream stopped delivering before everything it held at the start was read.
    case incomplete(stream: String, received: UInt64, expected: UInt64)

    public var description: String {
        switch self {
        case .jetStream(let error): return "\(error)"
        case let .incomplete(stream, received, expected):
            return "stream \(stream) delivered \(received) of the \(expected) messages it held, then nothing"
        }
    }
}
