import SegmentLog

/// How one log's records are named in a stream (docs/jetstream.md): the
/// subjects, the message ids and the headers of record mode.
public struct LogSubjects: Sendable, Equatable {
    /// The first subject token of every message (default `signallog`).
    public let prefix: String
    /// The log's id as given (default: the log directory's name).
    public let logID: String
    /// ``logID`` as a subject token.
    public let logToken: String

    /// Header names of a record message.
    public enum Header {
        /// The record's sequence number, decimal.
        public static let sequence = "SignalLog-Sequence"
        /// The record's append time, microseconds since the epoch, decimal.
        public static let time = "SignalLog-Time"
        /// The record's kind, decimal.
        public static let kind = "SignalLog-Kind"
        /// The record's partition key, escaped as ``SubjectToken/escape(_:)`` (never hashed).
        public static let partition = "SignalLog-Partition"
        /// The server's de-duplication id.
        public static let messageID = "Nats-Msg-Id"
        /// Batch mode: the batch's last sequence (``sequence`` is its first).
        public static let lastSequence = "SignalLog-Last-Sequence"
        /// Batch mode: how many records the batch holds.
        public static let records = "SignalLog-Records"
    }

    public init(prefix: String = "signallog", logID: String) {
        self.prefix = prefix
        self.logID = logID
        self.logToken = SubjectToken.token(logID)
    }

    /// `<prefix>.<log>.>`: every message of this log.
    public var all: String { "\(prefix).\(logToken).>" }

    /// `<prefix>.>`: the subjects a stream created for mirrors captures.
    public var streamSubject: String { "\(prefix).>" }

    /// `<prefix>.<log>.<kind>.<partition token>`.
    public func subject(kind: UInt8, partition: String) -> String {
        subject(kind: kind, partitionToken: SubjectToken.token(partition))
    }

    /// The same, for a partition already made a token.
    func subject(kind: UInt8, partitionToken: String) -> String {
        prefix + "." + logToken + "." + String(kind) + "." + partitionToken
    }

    /// `<prefix>.<log>.batch`: batch mode's one subject per log.
    public var batchSubject: String { "\(prefix).\(logToken).batch" }

    /// The headers of a batch's message (``Header/time`` is its newest append time).
    public func headers(for batch: StoredBatch) -> NATSHeaders {
        NATSHeaders([
            (Header.messageID, "\(logToken):\(batch.firstSequence)-\(batch.lastSequence)"),
            (Header.sequence, String(batch.firstSequence)),
            (Header.lastSequence, String(batch.lastSequence)),
            (Header.records, String(batch.recordCount)),
            (Header.time, String(batch.maxTimestamp)),
        ])
    }

    /// The last log sequence a stored message carries: a batch's last, or a record's own.
    public func lastSequence(in headers: NATSHeaders) -> UInt64? {
        if let last = headers[Header.lastSequence] { return UInt64(last) }
        return headers[Header.sequence].flatMap { UInt64($0) }
    }

    /// `<log>:<sequence>`: the message id the server de-duplicates on.
    public func messageID(_ sequence: UInt64) -> String { "\(logToken):\(sequence)" }

    /// The headers of a record's message.
    public func headers(for record: LogRecord) -> NATSHeaders {
        headers(for: record, escapedPartition: SubjectToken.escape(record.partition))
    }

    /// The same, for a partition key already escaped.
    func headers(for record: LogRecord, escapedPartition: String) -> NATSHeaders {
        NATSHeaders([
            (Header.messageID, messageID(record.sequence)),
            (Header.sequence, String(record.sequence)),
            (Header.time, String(record.timestamp)),
            (Header.kind, String(record.kind)),
            (Header.partition, escapedPartition),
        ])
    }

    /// The record a record message carries, or nil when its headers are
    /// missing or malformed.
    public func record(from headers: NATSHeaders, payload: [UInt8]) -> LogRecord? {
        guard let sequence = headers[Header.sequence].flatMap({ UInt64($0) }),
              let time = headers[Header.time].flatMap({ Int64($0) }),
              let kind = headers[Header.kind].flatMap({ UInt8($0) }),
              let partition = headers[Header.partition].flatMap(SubjectToken.unescape) else { return nil }
        return LogRecord(sequence: sequence, timestamp: time, kind: kind, partition: partition, payload: payload)
    }

    /// Whether NATS subject `pattern` (with `*` and `>`) matches `subject`.
    public static func matches(pattern: String, subject: String) -> Bool {
        let p = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let s = subject.split(separator: ".", omittingEmptySubsequences: false)
        for (index, token) in p.enumerated() {
            if token == ">" { return s.count > index }
            guard index < s.count else { return false }
            if token != "*" && token != s[index] { return false }
        }
        return p.count == s.count
    }
}
