import SegmentLog
import SignalLog

/// The sizes `ingest` keeps to, so that no append can break a limit of the
/// log: a record's payload at most ``maxRecordBytes``, a batch's records at
/// most ``maxBatchBytes``, a partition key at most 65,535 bytes (its length
/// is a 16-bit field of the record header, docs/format.md). A line that
/// would break one is a problem of that line; the lines around it are
/// stored. Lines longer than ``maxLineBytes`` are skipped unread.
struct IngestLimits: Sendable {
    /// Largest signal record payload (the log's record limit, or lower).
    var maxRecordBytes: Int
    /// Largest batch, counted as the log counts it: every record's
    /// 12-byte header, partition key and payload (the log's limit, or lower).
    var maxBatchBytes: Int

    /// A partition key's length is stored as 16 bits.
    static let maxPartitionKeyBytes = Int(UInt16.max)
    /// Each record's header inside a batch (kind, flags, lengths, time delta).
    static let recordHeaderBytes = 12
    /// Room each signal keeps in its batch for the attempt record the node
    /// writes in its place when it is a duplicate or a conflict (which
    /// names the original signal's id, usually a 36-character UUID).
    static let refusalSlackBytes = 64

    /// The log's own limits, or lower ones (never higher: the log would
    /// refuse, or its readers could not read, what is written).
    init(log: LogLimits = LogLimits(), maxRecordBytes: Int? = nil, maxBatchBytes: Int? = nil) {
        self.maxRecordBytes = min(maxRecordBytes ?? log.maxRecordBytes, log.maxRecordBytes)
        self.maxBatchBytes = min(maxBatchBytes ?? log.maxBatchBytes, log.maxBatchBytes)
    }

    /// The longest line read: twice the record limit (64 MiB by default),
    /// room for the JSON escapes and field names around a record's bytes.
    /// A longer line cannot be a signal the log would store in any usual
    /// spelling, so it is skipped while its length is counted, never held.
    var maxLineBytes: Int { 2 * maxRecordBytes }

    /// Why a line's signal cannot be stored.
    enum Violation: Error, Sendable, CustomStringConvertible {
        /// The line is longer than ``IngestLimits/maxLineBytes``.
        case lineTooLong(bytes: Int, limit: Int)
        /// The partition key's UTF-8 is longer than 65,535 bytes.
        case partitionKeyTooLong(bytes: Int)
        /// The record payload would be longer than the record limit.
        case recordTooLarge(bytes: Int, limit: Int)
        /// Header, key and payload would not fit in even an empty batch.
        case batchTooSmall(bytes: Int, limit: Int)

        var description: String {
            switch self {
            case let .lineTooLong(bytes, limit):
                return "line is \(bytes) bytes, over the \(limit)-byte line limit (twice the record limit); skipped unread"
            case let .partitionKeyTooLong(bytes):
                return "partition_key is \(bytes) bytes of UTF-8; the log stores keys of at most \(IngestLimits.maxPartitionKeyBytes) bytes"
            case let .recordTooLarge(bytes, limit):
                return "the signal's record would be \(bytes) bytes, over the log's \(limit)-byte record limit"
            case let .batchTooSmall(bytes, limit):
                return "the signal's record and partition key would be \(bytes) bytes, more than a whole batch holds (\(limit) bytes)"
            }
        }
    }

    /// The bytes `signal` takes in a batch (its share of ``maxBatchBytes``,
    /// with the slack for a refusal's attempt record), or why it cannot be stored.
    func batchBytes(of signal: Signal) -> Result<Int, Violation> {
        let key = signal.partitionKey.utf8.count
        guard key <= Self.maxPartitionKeyBytes else { return .failure(.partitionKeyTooLong(bytes: key)) }
        let payload = SignalRecord.encodedSize(of: signal)
        guard payload <= maxRecordBytes else { return .failure(.recordTooLarge(bytes: payload, limit: maxRecordBytes)) }
        let record = Self.recordHeaderBytes + key + payload
        guard record <= maxBatchBytes else { return .failure(.batchTooSmall(bytes: record, limit: maxBatchBytes)) }
        return .success(record + Self.refusalSlackBytes)
    }
}
