import SegmentLog

/// Which records a replay returns. Times are microseconds since the epoch,
/// on ``timeAxis``: append times (when the node accepted or recorded) by
/// default, or event times (a signal's own ``Signal/createdAt``; the append
/// time of attempt and DLQ records), both resolved through the segments'
/// indexes.
public struct ReplayQuery: Sendable, Equatable {
    /// Earliest time (inclusive).
    public var from: Int64?
    /// Time to stop before (exclusive).
    public var to: Int64?
    /// Which time ``from`` and ``to`` bound: `.append` (the default) or
    /// `.event`, a signal's own timestamp, exact for signals in any order
    /// (imported data, late arrivals).
    public var timeAxis: TimeAxis
    /// Only these partitions (partition keys).
    public var partitions: Set<String>?
    /// Also return attempt records.
    public var includeAttempts: Bool
    /// Also return dlq-move and dlq-resolve records.
    public var includeDeadLetterRecords: Bool
    /// Upcast signals to the registry's current version (as live processing does).
    public var upcast: Bool

    /// Makes a query; a bound left nil does not apply.
    ///
    /// - Parameters:
    ///   - from: the earliest time (inclusive, microseconds), on `timeAxis`.
    ///   - to: the time to stop before (exclusive, microseconds), on `timeAxis`.
    ///   - partitions: only these partition keys.
    ///   - includeAttempts: also return attempt records.
    ///   - includeDeadLetterRecords: also return dlq-move and dlq-resolve records.
    ///   - upcast: upcast signals to the registry's current version.
    ///   - timeAxis: whether `from` and `to` bound append time or event time.
    public init(from: Int64? = nil, to: Int64? = nil, partitions: Set<String>? = nil,
                includeAttempts: Bool = false, includeDeadLetterRecords: Bool = false, upcast: Bool = true,
                timeAxis: TimeAxis = .append) {
        self.timeAxis = timeAxis
        self.from = from
        self.to = to
        self.partitions = partitions
        self.includeAttempts = includeAttempts
        self.includeDeadLetterRecords = includeDeadLetterRecords
        self.upcast = upcast
    }
}

/// A signal as replay returns it.
public struct ReplayedSignal: Sendable, Equatable {
    /// Log sequence of its signal record.
    public var sequence: UInt64
    /// Append time of its signal record (microseconds).
    public var appendedAt: Int64
    /// The signal, upcast when the query asked for it.
    public var signal: Signal
    /// Set when upcasting failed (the signal is then as stored).
    public var upcastFailure: String?

    public var id: String { signal.id }
    public var type: String { signal.type }
    public var sourceID: String { signal.sourceID }
    /// The signal's own creation time (microseconds).
    public var timestamp: Int64 { signal.createdAt }
    public var correlationID: String { signal.correlationID }
    public var content: SignalContent { signal.content }
}

/// One replayed record.
public enum ReplayEntry: Sendable, Equatable {
    case signal(ReplayedSignal)
    case attempt(ProcessingAttempt, sequence: UInt64, appendedAt: Int64)
    case deadLetterMove(DeadLetterMoveRecord, sequence: UInt64, appendedAt: Int64)
    case deadLetterResolve(DeadLetterResolveRecord, sequence: UInt64, appendedAt: Int64)

    public var sequence: UInt64 {
        switch self {
        case .signal(let signal): return signal.sequence
        case .attempt(_, let sequence, _), .deadLetterMove(_, let sequence, _), .deadLetterResolve(_, let sequence, _): return sequence
        }
    }

    public var signalID: String {
        switch self {
        case .signal(let signal): return signal.id
        case .attempt(let attempt, _, _): return attempt.signalID
        case .deadLetterMove(let move, _, _): return move.signalID
        case .deadLetterResolve(let resolve, _, _): return resolve.signalID
        }
    }
}

/// A lazy replay over a log: records are read batch by batch from the
/// segments (only those the time and partition indexes say can match), so
/// replay is bounded by retention, not memory. Not thread-safe; iterate
/// with `while let entry = try replay.next()` or `for try await`.
///
/// Copies of signals that retention carried forward are skipped while the
/// original record is still in the log, so each signal appears once.
public final class SignalReplay: AsyncSequence {
    public typealias Element = ReplayEntry
    public let query: ReplayQuery
    private let reader: LogReader
    private let schemas: SchemaRegistry
    private let firstSequence: UInt64

    /// A replay of `log` (opened by a node or read-only).
    ///
    /// - Parameters:
    ///   - log: the log to replay.
    ///   - query: which records to return.
    ///   - schemas: the registry signals are upcast with.
    public init(log: SegmentLog, query: ReplayQuery, schemas: SchemaRegistry = SchemaRegistry()) {
        self.query = query
        self.schemas = schemas
        firstSequence = log.firstSequence
        var kinds: Set<UInt8> = [SignalRecordKind.signal.rawValue]
        if query.includeAttempts { kinds.insert(SignalRecordKind.attempt.rawValue) }
        if query.includeDeadLetterRecords {
            kinds.insert(SignalRecordKind.deadLetterMove.rawValue)
            kinds.insert(SignalRecordKind.deadLetterResolve.rawValue)
        }
        reader = log.read(LogQuery(since: query.from, until: query.to, partitions: query.partitions, kinds: kinds, timeAxis: query.timeAxis))
    }

    /// What the replay has read so far.
    public var statistics: ReadStatistics { reader.statistics }

    /// The next entry, or nil at the end.
    ///
    /// - Returns: the next entry, or nil when the replay is exhausted.
    /// - Throws: `SegmentLogError` when the log cannot be read
    ///   (`.corruption(path:offset:reason:)` for damage, reported once;
    ///   `.io(operation:path:errno:)`); ``SignalNodeError/badRecord(sequence:reason:)``
    ///   for a record that cannot be decoded. A failed upcast is not thrown: it is
    ///   in ``ReplayedSignal/upcastFailure``.
    public func next() throws -> ReplayEntry? {
        while let record = try reader.next() {
            do {
                switch SignalRecordKind(rawValue: record.kind) {
                case .signal?:
                    let decoded = try SignalRecord.decode(record.payload)
                    if let original = decoded.carriedFrom, original >= firstSequence { continue }
                    var entry = ReplayedSignal(sequence: record.sequence, appendedAt: record.timestamp, signal: decoded.signal)
                    if query.upcast {
                        do {
                            entry.signal = try schemas.upcast(decoded.signal)
                        } catch {
                            entry.upcastFailure = SignalNode.schemaFailure(error, signal: decoded.signal).1
                        }
                    }
                    return .signal(entry)
                case .attempt?:
                    return .attempt(try AttemptRecord.decode(record.payload).attempt, sequence: record.sequence, appendedAt: record.timestamp)
                case .deadLetterMove?:
                    return .deadLetterMove(try DeadLetterMoveRecord.decode(record.payload), sequence: record.sequence, appendedAt: record.timestamp)
                case .deadLetterResolve?:
                    return .deadLetterResolve(try DeadLetterResolveRecord.decode(record.payload), sequence: record.sequence, appendedAt: record.timestamp)
                case .marker?, nil:
                    continue
                }
            } catch {
                throw SignalNodeError.badRecord(sequence: record.sequence, reason: error.description)
            }
        }
        return nil
    }

    /// Reads every remaining entry (use on bounded ranges).
    ///
    /// - Returns: the remaining entries, in log order.
    /// - Throws: what ``next()`` throws: `SegmentLogError` when the log cannot be read
    ///   (`.corruption(path:offset:reason:)` for damage, reported once;
    ///   `.io(operation:path:errno:)`); ``SignalNodeError/badRecord(sequence:reason:)``
    ///   for a record that cannot be decoded. A failed upcast is not thrown: it is
    ///   in ``ReplayedSignal/upcastFailure``.
    public func collect() throws -> [ReplayEntry] {
        var entries: [ReplayEntry] = []
        while let entry = try next() { entries.append(entry) }
        return entries
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let replay: SignalReplay
        /// The next entry, or nil at the end (``SignalReplay/next()``).
        ///
        /// - Throws: what ``SignalReplay/next()`` throws.
        public mutating func next() async throws -> ReplayEntry? { try replay.next() }
    }

    /// An iterator over the replay's remaining entries; the replay and its
    /// iterators share one position.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(replay: self) }
}

extension SignalNode {
    /// Replays signals (and on request their attempts and DLQ records) by
    /// append-time range and partition, lazily from the segments. Signals
    /// are upcast like live ones unless the query says otherwise.
    ///
    /// - Parameter query: which records to return; the default returns every signal.
    /// - Returns: a lazy replay; nothing is read until it is iterated.
    public func replay(_ query: ReplayQuery = ReplayQuery()) -> SignalReplay {
        SignalReplay(log: log, query: query, schemas: options.schemas)
    }

    /// Replays `from ..< to` (microseconds; append times unless `by` is
    /// `.event`, the signals' own timestamps), optionally one partition.
    ///
    /// - Parameters:
    ///   - from: the earliest time (inclusive, microseconds), or nil.
    ///   - to: the time to stop before (exclusive, microseconds), or nil.
    ///   - partition: only this partition key, or nil for all.
    ///   - includeAttempts: also return attempt records.
    ///   - includeDeadLetterRecords: also return dlq-move and dlq-resolve records.
    ///   - timeAxis: whether `from` and `to` bound append time or event time.
    /// - Returns: a lazy replay; nothing is read until it is iterated.
    public func replay(from: Int64?, to: Int64?, partition: String? = nil, includeAttempts: Bool = false,
                       includeDeadLetterRecords: Bool = false, by timeAxis: TimeAxis = .append) -> SignalReplay {
        replay(ReplayQuery(from: from, to: to, partitions: partition.map { [$0] },
                           includeAttempts: includeAttempts, includeDeadLetterRecords: includeDeadLetterRecords,
                           timeAxis: timeAxis))
    }
}
