import SegmentLog

/// The history of a correlation id, or of one signal, read from a log:
/// every signal, attempt, dlq-move and dlq-resolve record that carries it,
/// in log order (which is time order), and what the read could not look at.
///
/// A history is served by the log's indexes: a time range and partitions
/// (a signal's records all use its partition key) narrow the read to the
/// batches that can hold them; without them every batch of those kinds is
/// read. Damaged stretches and undecodable records are passed over and
/// listed in ``gaps``, never silently: a history with gaps may be missing
/// records there.
public struct SignalHistory: Sendable, Equatable {
    /// One record of the history.
    public struct Entry: Sendable, Equatable {
        /// The stored record: sequence, append time, kind, partition, payload.
        public var record: LogRecord
        /// Its payload, decoded.
        public var decoded: DecodedSignalRecord
    }

    /// Something the read passed over.
    public enum Gap: Sendable, Equatable, CustomStringConvertible {
        /// A damaged batch or a gap in the sequence (the error names file and offset).
        case damage(SegmentLogError)
        /// A record of a signal kind whose payload does not decode, so whether it
        /// belongs to the history is unknown.
        case undecodable(sequence: UInt64, reason: String)

        public var description: String {
            switch self {
            case .damage(let error): return "\(error)"
            case let .undecodable(sequence, reason): return "record \(sequence) is unreadable: \(reason)"
            }
        }
    }

    public var entries: [Entry]
    public var gaps: [Gap]

    /// Whether nothing was passed over.
    public var isComplete: Bool { gaps.isEmpty }

    /// The attempt records of the history, in order.
    public var attempts: [ProcessingAttempt] {
        entries.compactMap { entry in
            if case .attempt(let record) = entry.decoded { return record.attempt }
            return nil
        }
    }

    /// The signal ids the history touches.
    public var signalIDs: Set<String> { Set(entries.compactMap(\.decoded.signalID)) }

    /// The node ids that recorded attempts, dead letters or resolutions.
    public var nodeIDs: Set<String> {
        Set(entries.compactMap { entry -> String? in
            switch entry.decoded {
            case .attempt(let record): return record.attempt.nodeID
            case .deadLetterMove(let record): return record.nodeID
            case .deadLetterResolve(let record): return record.nodeID
            case .signal, .marker: return nil
            }
        })
    }

    /// Which records belong to a history.
    public enum Subject: Sendable, Equatable {
        case correlationID(String)
        case signalID(String)
    }

    /// Reads the history of `subject` from `log` (a node's, or one opened
    /// read-only), within times `from ..< to` and `partitions` when given.
    ///
    /// - Parameters:
    ///   - log: the log to read.
    ///   - subject: the correlation id or signal id whose records to collect.
    ///   - from: the earliest time to read (inclusive, microseconds), or nil.
    ///   - to: the time to stop before (exclusive, microseconds), or nil.
    ///   - partitions: only records of these partitions, or nil for all.
    ///   - axis: what `from` and `to` bound: append time (the default), or
    ///     event time (a signal's own timestamp; the append time of attempts
    ///     and dead-letter records), served by the event-time index.
    /// - Returns: the records found, oldest first, and the gaps the read passed over.
    /// - Throws: `SegmentLogError` for failures other than damage (I/O), or
    ///   when 10 000 damaged stretches in a row leave nothing readable.
    public static func read(_ log: SegmentLog, _ subject: Subject, from: Int64? = nil, to: Int64? = nil,
                            partitions: Set<String>? = nil, by axis: TimeAxis = .append) throws(SegmentLogError) -> SignalHistory {
        let kinds: Set<UInt8> = [SignalRecordKind.signal.rawValue, SignalRecordKind.attempt.rawValue,
                                 SignalRecordKind.deadLetterMove.rawValue, SignalRecordKind.deadLetterResolve.rawValue]
        let reader = log.read(LogQuery(since: from, until: to, partitions: partitions, kinds: kinds, timeAxis: axis))
        var history = SignalHistory(entries: [], gaps: [])
        // A record belongs only if its payload holds the id's bytes (every
        // payload passed its batch checksum): the rest are not decoded.
        let needle: [UInt8]
        switch subject {
        case .correlationID(let id), .signalID(let id): needle = Array(id.utf8)
        }
        var consecutive = 0
        while true {
            let next: LogRecord?
            do {
                next = try reader.next()
                consecutive = 0
            } catch {
                switch error {
                case .corruption, .sequenceGap: break
                default: throw error
                }
                consecutive += 1
                guard consecutive <= 10_000 else { throw error }
                history.gaps.append(.damage(error))
                continue
            }
            guard let record = next else { return history }
            if !needle.isEmpty, !record.payload.contains(needle) { continue }
            let decoded: DecodedSignalRecord
            do {
                decoded = try DecodedSignalRecord.decode(kind: record.kind, payload: record.payload)
            } catch {
                history.gaps.append(.undecodable(sequence: record.sequence, reason: error.description))
                continue
            }
            let belongs: Bool
            switch subject {
            case .correlationID(let id): belongs = decoded.correlationID == id
            case .signalID(let id): belongs = decoded.signalID == id
            }
            if belongs { history.entries.append(Entry(record: record, decoded: decoded)) }
        }
    }
}

extension SignalNode {
    /// The history of a correlation id in this node's log: its signals,
    /// their attempts on every node, dead-letter moves and resolutions (see
    /// ``SignalHistory``). A time range and partitions narrow the read
    /// through the indexes.
    ///
    /// - Parameters:
    ///   - correlationID: the correlation id to trace.
    ///   - from: the earliest time to read (inclusive, microseconds), or nil.
    ///   - to: the time to stop before (exclusive, microseconds), or nil.
    ///   - partitions: only records of these partitions, or nil for all.
    ///   - axis: what `from` and `to` bound (append time unless `.event`).
    /// - Returns: the history, with the gaps the read passed over.
    /// - Throws: `SegmentLogError`, as ``SignalHistory/read(_:_:from:to:partitions:by:)``
    ///   throws it: for failures other than damage (I/O), or when 10 000 damaged
    ///   stretches in a row leave nothing readable.
    public func trace(correlationID: String, from: Int64? = nil, to: Int64? = nil, partitions: Set<String>? = nil,
                      by axis: TimeAxis = .append) throws -> SignalHistory {
        try SignalHistory.read(log, .correlationID(correlationID), from: from, to: to, partitions: partitions, by: axis)
    }

    /// Every attempt recorded for the signal `signalID`, oldest first:
    /// processing attempts (processed, failed) and refusals of it
    /// (duplicate, conflict, rejected). `partition` (the signal's partition
    /// key) lets the partition index skip the other partitions; a dead
    /// letter's partition is known without it.
    ///
    /// - Parameters:
    ///   - signalID: the id of the signal.
    ///   - partition: the signal's partition key, if known.
    /// - Returns: the attempts, oldest first.
    /// - Throws: ``SignalNodeError/storage(_:)`` naming what could not be
    ///   read when the log has damage on the way (the list would be
    ///   incomplete; ``SignalHistory/read(_:_:from:to:partitions:by:)`` returns
    ///   what it could read with the gaps); `SegmentLogError` for failures
    ///   other than damage, as ``SignalHistory/read(_:_:from:to:partitions:by:)``
    ///   throws it.
    public func attempts(of signalID: String, partition: String? = nil) throws -> [ProcessingAttempt] {
        let key = partition ?? state.withLock { $0.deadLetters[signalID]?.signal.partitionKey }
        let history = try SignalHistory.read(log, .signalID(signalID), partitions: key.map { [$0] })
        guard history.isComplete else {
            throw SignalNodeError.storage("the attempts of \(signalID) may be incomplete: " + history.gaps.map(\.description).joined(separator: "; "))
        }
        return history.attempts
    }
}
