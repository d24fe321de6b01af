/// The record kinds a ``SignalNode`` writes to its `SegmentLog`.
/// Every record of a signal carries the signal's partition key as its log
/// partition; markers carry the empty partition. Payload layouts are in
/// docs/signals.md.
public enum SignalRecordKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// A signal was accepted (the acknowledgement).
    case signal = 1
    /// A processing attempt ended (processed, failed, duplicate, conflict, rejected).
    case attempt = 2
    /// A signal was dead-lettered.
    case deadLetterMove = 3
    /// A dead letter was reprocessed successfully or discarded.
    case deadLetterResolve = 4
    /// Checkpoint and clean-shutdown markers.
    case marker = 5

    public var description: String {
        switch self {
        case .signal: return "signal"
        case .attempt: return "attempt"
        case .deadLetterMove: return "dlq-move"
        case .deadLetterResolve: return "dlq-resolve"
        case .marker: return "marker"
        }
    }
}

/// Why a signal was dead-lettered (stored as one byte).
public enum DeadLetterReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// No handler is registered for the signal's type.
    case unknownSignalType = 1
    /// The signal's schema version is not in the registry.
    case unsupportedSchemaVersion = 2
    /// The signal has no (an empty) schema version.
    case missingSchemaVersion = 3
    /// The handler failed on every attempt the retry policy allows.
    case processingFailed = 4
    /// An upcaster threw while converting the signal to the current version.
    case upcastFailed = 5

    /// The reason code as text (`unknown_signal_type`, ...).
    public var description: String {
        switch self {
        case .unknownSignalType: return "unknown_signal_type"
        case .unsupportedSchemaVersion: return "unsupported_schema_version"
        case .missingSchemaVersion: return "missing_schema_version"
        case .processingFailed: return "processing_failed"
        case .upcastFailed: return "upcast_failed"
        }
    }
}

/// A signal record (kind 1): the accepted signal.
public struct SignalRecord: Sendable, Equatable {
    public static let version: UInt8 = 1
    public var signal: Signal
    /// Set on a copy that retention carried forward: the sequence of the
    /// record it copies (the original acceptance, which fixes its order).
    public var carriedFrom: UInt64?

    /// Makes a signal record.
    ///
    /// - Parameters:
    ///   - signal: the accepted signal.
    ///   - carriedFrom: for a copy retention carries forward, the sequence of the
    ///     record it copies; nil for the original.
    public init(signal: Signal, carriedFrom: UInt64? = nil) {
        self.signal = signal
        self.carriedFrom = carriedFrom
    }

    /// The record's payload, as the log stores it.
    public func encode() -> [UInt8] {
        var writer = ByteWriter()
        Self.encode(signal, carriedFrom: carriedFrom, into: &writer)
        return writer.bytes
    }

    static func encode(_ signal: Signal, carriedFrom: UInt64? = nil, into writer: inout ByteWriter) {
        var flags: UInt8 = 0
        if signal.requiresResponse { flags |= 1 }
        if signal.traceparent != nil { flags |= 2 }
        if case .json = signal.content { flags |= 4 }
        if carriedFrom != nil { flags |= 8 }
        if !signal.extraFields.isEmpty { flags |= 16 }
        writer.u8(version)
        writer.u8(flags)
        writer.f64(signal.urgency)
        writer.i64(signal.createdAt)
        writer.varint(signal.retryCount)
        writer.string(signal.id)
        writer.string(signal.type)
        writer.string(signal.sourceID)
        writer.string(signal.idempotencyKey)
        writer.string(signal.partitionKey)
        writer.string(signal.correlationID)
        writer.string(signal.schemaVersion)
        if let traceparent = signal.traceparent { writer.string(traceparent) }
        if let carriedFrom { writer.varint(carriedFrom) }
        switch signal.content {
        case .text(let text): writer.string(text)
        case .json(let value): writer.json(value)
        }
        if !signal.extraFields.isEmpty { writer.json(.object(signal.extraFields)) }
    }

    /// Decodes a kind-1 payload. Bytes after the last known field are ignored
    /// (later revisions of version 1 may append fields).
    ///
    /// - Parameter payload: the record's payload, as stored in the log.
    /// - Returns: the decoded record.
    /// - Throws: ``SignalRecordError``: ``SignalRecordError/unsupportedVersion(kind:version:)``
    ///   when the payload's version byte is not 1;
    ///   ``SignalRecordError/truncated(field:)`` when the payload ends inside a
    ///   field; ``SignalRecordError/invalid(field:reason:)`` when a field cannot be
    ///   right (text that is not UTF-8, a count past the payload's end, an implausible retry count, extra fields that are not a JSON object).
    public static func decode(_ payload: [UInt8]) throws(SignalRecordError) -> SignalRecord {
        var reader = ByteReader(payload)
        let version = try reader.u8("version")
        guard version == Self.version else { throw .unsupportedVersion(kind: SignalRecordKind.signal.rawValue, version: version) }
        let flags = try reader.u8("flags")
        let urgency = try reader.f64("urgency")
        let createdAt = try reader.i64("created_at")
        let retryCount = try reader.varint("retry_count")
        guard retryCount <= UInt64(Int32.max) else { throw .invalid(field: "retry_count", reason: "\(retryCount) is implausible") }
        let id = try reader.string("id")
        let type = try reader.string("signal_type")
        let source = try reader.string("source_id")
        let key = try reader.string("idempotency_key")
        let partition = try reader.string("partition_key")
        let correlation = try reader.string("correlation_id")
        let schema = try reader.string("schema_version")
        let traceparent = flags & 2 != 0 ? try reader.string("traceparent") : nil
        let carried = flags & 8 != 0 ? try reader.varint("carried_from") : nil
        let content: SignalContent = flags & 4 != 0 ? .json(try reader.json("content")) : .text(try reader.string("content"))
        var extra: [String: JSONValue] = [:]
        if flags & 16 != 0 {
            guard case .object(let members) = try reader.json("extra_fields") else {
                throw .invalid(field: "extra_fields", reason: "not a JSON object")
            }
            extra = members
        }
        let signal = Signal(
            content: content, type: type, urgency: urgency, sourceID: source, requiresResponse: flags & 1 != 0, id: id,
            idempotencyKey: key, partitionKey: partition, correlationID: correlation, schemaVersion: schema,
            retryCount: Int(retryCount), createdAt: createdAt, traceparent: traceparent, extraFields: extra)
        return SignalRecord(signal: signal, carriedFrom: carried)
    }

    /// The idempotency key and `carried_from` of an encoded signal record,
    /// read without the content (both come before it): what counting the
    /// dedupe window and pending work needs.
    ///
    /// - Parameter payload: a signal record's payload, as stored in the log.
    /// - Returns: the idempotency key, and `carried_from` when the record is a carried copy.
    /// - Throws: ``SignalRecordError``: ``SignalRecordError/unsupportedVersion(kind:version:)``
    ///   when the payload's version byte is not 1; ``SignalRecordError/truncated(field:)``
    ///   when the payload ends inside a field; ``SignalRecordError/invalid(field:reason:)``
    ///   for a key that is not UTF-8 or a count past the payload's end.
    public static func decodeKey(_ payload: [UInt8]) throws(SignalRecordError) -> (idempotencyKey: String, carriedFrom: UInt64?) {
        var reader = ByteReader(payload)
        let version = try reader.u8("version")
        guard version == Self.version else { throw .unsupportedVersion(kind: SignalRecordKind.signal.rawValue, version: version) }
        let flags = try reader.u8("flags")
        _ = try reader.f64("urgency")
        _ = try reader.i64("created_at")
        _ = try reader.varint("retry_count")
        _ = try reader.string("id")
        _ = try reader.string("signal_type")
        _ = try reader.string("source_id")
        let key = try reader.string("idempotency_key")
        guard flags & 8 != 0 else { return (key, nil) }
        _ = try reader.string("partition_key")
        _ = try reader.string("correlation_id")
        _ = try reader.string("schema_version")
        if flags & 2 != 0 { _ = try reader.string("traceparent") }
        return (key, try reader.varint("carried_from"))
    }
}

/// An attempt record (kind 2): one processing attempt and how it ended.
public struct AttemptRecord: Sendable, Equatable {
    public static let version: UInt8 = 1
    public var attempt: ProcessingAttempt

    /// Makes an attempt record.
    ///
    /// - Parameter attempt: the processing attempt.
    public init(_ attempt: ProcessingAttempt) { self.attempt = attempt }

    /// The record's payload, as the log stores it.
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 96)
        Self.encode(attempt, into: &writer)
        return writer.bytes
    }

    static func encode(_ attempt: ProcessingAttempt, into writer: inout ByteWriter) {
        encode(signalID: attempt.signalID, nodeID: attempt.nodeID, correlationID: attempt.correlationID, startedAt: attempt.startedAt,
               duration: attempt.duration, attempt: attempt.attempt, outcome: attempt.outcome, into: &writer)
    }

    /// Encodes an attempt from its fields (a worker writes a processed
    /// signal's attempt straight from the signal, without copying its strings).
    static func encode(signalID: String, nodeID: String, correlationID: String, startedAt: Int64, duration: Int64, attempt: Int,
                       outcome: AttemptOutcome, into writer: inout ByteWriter) {
        let (code, detail): (UInt8, String)
        switch outcome {
        case .processed: (code, detail) = (1, "")
        case .failed(let error): (code, detail) = (2, error)
        case .duplicate(let original): (code, detail) = (3, original)
        case .conflict(let original): (code, detail) = (4, original)
        case .rejected(let reason): (code, detail) = (5, reason)
        }
        writer.u8(version)
        writer.u8(code)
        writer.i64(startedAt)
        writer.i64(duration)
        writer.varint(attempt)
        writer.string(signalID)
        writer.string(nodeID)
        writer.string(correlationID)
        writer.string(detail)
    }

    /// Decodes a kind-2 payload.
    ///
    /// - Parameter payload: the record's payload, as stored in the log.
    /// - Returns: the decoded record.
    /// - Throws: ``SignalRecordError``: ``SignalRecordError/unsupportedVersion(kind:version:)``
    ///   when the payload's version byte is not 1;
    ///   ``SignalRecordError/truncated(field:)`` when the payload ends inside a
    ///   field; ``SignalRecordError/invalid(field:reason:)`` when a field cannot be
    ///   right (text that is not UTF-8, an unknown outcome code).
    public static func decode(_ payload: [UInt8]) throws(SignalRecordError) -> AttemptRecord {
        var reader = ByteReader(payload)
        let version = try reader.u8("version")
        guard version == Self.version else { throw .unsupportedVersion(kind: SignalRecordKind.attempt.rawValue, version: version) }
        let code = try reader.u8("outcome")
        let startedAt = try reader.i64("started_at")
        let duration = try reader.i64("duration")
        let number = try reader.varint("attempt")
        let signalID = try reader.string("signal_id")
        let nodeID = try reader.string("node_id")
        let correlation = try reader.string("correlation_id")
        let detail = try reader.string("detail")
        let outcome: AttemptOutcome
        switch code {
        case 1: outcome = .processed
        case 2: outcome = .failed(detail)
        case 3: outcome = .duplicate(of: detail)
        case 4: outcome = .conflict(with: detail)
        case 5: outcome = .rejected(detail)
        default: throw .invalid(field: "outcome", reason: "unknown outcome code \(code)")
        }
        return AttemptRecord(ProcessingAttempt(
            signalID: signalID, nodeID: nodeID, startedAt: startedAt, duration: duration, outcome: outcome,
            correlationID: correlation, attempt: Int(min(number, UInt64(Int32.max)))))
    }
}

/// A dlq-move record (kind 3): a signal entered (or, after a failed
/// reprocess, stays in) the dead letter queue.
public struct DeadLetterMoveRecord: Sendable, Equatable {
    public static let version: UInt8 = 1
    public var signalID: String
    public var reason: DeadLetterReason
    public var error: String
    public var nodeID: String
    public var correlationID: String
    /// Microseconds since the epoch.
    public var time: Int64
    /// The signal's retry count at the time of the move.
    public var retryCount: Int
    /// Sequence of the signal record this entry refers to.
    public var signalSequence: UInt64

    /// Makes a dlq-move record.
    ///
    /// - Parameters:
    ///   - signalID: the dead-lettered signal's id.
    ///   - reason: why it was dead-lettered.
    ///   - error: the last error, in words.
    ///   - nodeID: the node that moved it.
    ///   - correlationID: the signal's correlation id.
    ///   - time: when it was moved, microseconds since the epoch.
    ///   - retryCount: the signal's retry count at the move.
    ///   - signalSequence: the sequence of the signal record the entry refers to.
    public init(signalID: String, reason: DeadLetterReason, error: String, nodeID: String, correlationID: String, time: Int64, retryCount: Int, signalSequence: UInt64) {
        self.signalID = signalID
        self.reason = reason
        self.error = error
        self.nodeID = nodeID
        self.correlationID = correlationID
        self.time = time
        self.retryCount = retryCount
        self.signalSequence = signalSequence
    }

    /// The record's payload, as the log stores it.
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.u8(Self.version)
        writer.u8(reason.rawValue)
        writer.i64(time)
        writer.varint(retryCount)
        writer.varint(signalSequence)
        writer.string(signalID)
        writer.string(nodeID)
        writer.string(correlationID)
        writer.string(error)
        return writer.bytes
    }

    /// Decodes a kind-3 payload.
    ///
    /// - Parameter payload: the record's payload, as stored in the log.
    /// - Returns: the decoded record.
    /// - Throws: ``SignalRecordError``: ``SignalRecordError/unsupportedVersion(kind:version:)``
    ///   when the payload's version byte is not 1;
    ///   ``SignalRecordError/truncated(field:)`` when the payload ends inside a
    ///   field; ``SignalRecordError/invalid(field:reason:)`` when a field cannot be
    ///   right (text that is not UTF-8, an unknown reason code).
    public static func decode(_ payload: [UInt8]) throws(SignalRecordError) -> DeadLetterMoveRecord {
        var reader = ByteReader(payload)
        let version = try reader.u8("version")
        guard version == Self.version else { throw .unsupportedVersion(kind: SignalRecordKind.deadLetterMove.rawValue, version: version) }
        let code = try reader.u8("reason")
        guard let reason = DeadLetterReason(rawValue: code) else { throw .invalid(field: "reason", reason: "unknown reason code \(code)") }
        let time = try reader.i64("time")
        let retryCount = try reader.varint("retry_count")
        let sequence = try reader.varint("signal_sequence")
        let signalID = try reader.string("signal_id")
        let nodeID = try reader.string("node_id")
        let correlationID = try reader.string("correlation_id")
        let error = try reader.string("error")
        return DeadLetterMoveRecord(
            signalID: signalID, reason: reason, error: error, nodeID: nodeID, correlationID: correlationID, time: time,
            retryCount: Int(min(retryCount, UInt64(Int32.max))), signalSequence: sequence)
    }
}

/// How a dead letter left the queue.
public enum DeadLetterResolution: UInt8, Sendable, CustomStringConvertible {
    /// Reprocessed successfully.
    case reprocessed = 1
    /// Discarded by an operator.
    case discarded = 2

    public var description: String { self == .reprocessed ? "reprocessed" : "discarded" }
}

/// A dlq-resolve record (kind 4).
public struct DeadLetterResolveRecord: Sendable, Equatable {
    public static let version: UInt8 = 1
    public var signalID: String
    public var resolution: DeadLetterResolution
    public var nodeID: String
    public var correlationID: String
    /// Microseconds since the epoch.
    public var time: Int64

    /// Makes a dlq-resolve record.
    ///
    /// - Parameters:
    ///   - signalID: the resolved signal's id.
    ///   - resolution: how it left the queue.
    ///   - nodeID: the node that resolved it.
    ///   - correlationID: the signal's correlation id.
    ///   - time: when it was resolved, microseconds since the epoch.
    public init(signalID: String, resolution: DeadLetterResolution, nodeID: String, correlationID: String, time: Int64) {
        self.signalID = signalID
        self.resolution = resolution
        self.nodeID = nodeID
        self.correlationID = correlationID
        self.time = time
    }

    /// The record's payload, as the log stores it.
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 96)
        writer.u8(Self.version)
        writer.u8(resolution.rawValue)
        writer.i64(time)
        writer.string(signalID)
        writer.string(nodeID)
        writer.string(correlationID)
        return writer.bytes
    }

    /// Decodes a kind-4 payload.
    ///
    /// - Parameter payload: the record's payload, as stored in the log.
    /// - Returns: the decoded record.
    /// - Throws: ``SignalRecordError``: ``SignalRecordError/unsupportedVersion(kind:version:)``
    ///   when the payload's version byte is not 1;
    ///   ``SignalRecordError/truncated(field:)`` when the payload ends inside a
    ///   field; ``SignalRecordError/invalid(field:reason:)`` when a field cannot be
    ///   right (text that is not UTF-8, an unknown resolution code).
    public static func decode(_ payload: [UInt8]) throws(SignalRecordError) -> DeadLetterResolveRecord {
        var reader = ByteReader(payload)
        let version = try reader.u8("version")
        guard version == Self.version else { throw .unsupportedVersion(kind: SignalRecordKind.deadLetterResolve.rawValue, version: version) }
        let code = try reader.u8("resolution")
        guard let resolution = DeadLetterResolution(rawValue: code) else { throw .invalid(field: "resolution", reason: "unknown code \(code)") }
        let time = try reader.i64("time")
        return DeadLetterResolveRecord(
            signalID: try reader.string("signal_id"), resolution: resolution, nodeID: try reader.string("node_id"),
            correlationID: try reader.string("correlation_id"), time: time)
    }
}

/// A marker record (kind 5): a checkpoint of the node's projections, written
/// periodically, after retention carried work forward, and at clean shutdown.
/// Startup reads the newest one and only the log after
/// `min(lowWaterSequence, first record of the dedupe TTL, marker)`.
public struct MarkerRecord: Sendable, Equatable {
    public static let version: UInt8 = 1

    public enum MarkerType: UInt8, Sendable {
        /// A periodic (or post-retention) checkpoint.
        case checkpoint = 1
        /// Written by ``SignalNode/gracefulShutdown(timeout:)`` as the last record.
        case cleanShutdown = 2
    }

    /// A dead letter as the checkpoint remembers it (the signal itself is
    /// read from `signalSequence`).
    public struct DeadLetterRef: Sendable, Equatable {
        public var signalID: String
        public var signalSequence: UInt64
        public var reason: DeadLetterReason
        public var time: Int64
        public var retryCount: Int
        public var nodeID: String
        public var error: String

        /// Makes a dead letter reference.
        ///
        /// - Parameters:
        ///   - signalID: the dead-lettered signal's id.
        ///   - signalSequence: the sequence of its signal record.
        ///   - reason: why it was dead-lettered.
        ///   - time: when it was moved, microseconds since the epoch.
        ///   - retryCount: its retry count at the move.
        ///   - nodeID: the node that moved it.
        ///   - error: the last error, in words.
        public init(signalID: String, signalSequence: UInt64, reason: DeadLetterReason, time: Int64, retryCount: Int, nodeID: String, error: String) {
            self.signalID = signalID
            self.signalSequence = signalSequence
            self.reason = reason
            self.time = time
            self.retryCount = retryCount
            self.nodeID = nodeID
            self.error = error
        }
    }

    /// One partition's pending work as a checkpoint records it: a position
    /// and counts, never the signals (they are read back from the log).
    public struct PendingPartition: Sendable, Equatable {
        public var partition: String
        /// The order (original acceptance sequence) of the partition's first
        /// unfinished signal: its signal records of lower order are finished.
        public var headOrder: UInt64
        /// Pending signals of the partition.
        public var count: UInt64
        /// Signal records at the head (order ≥ `headOrder`) that are finished
        /// although no record after this marker says so (their outcomes were
        /// before an earlier marker): skipped when read back.
        public var finishedAhead: UInt64

        /// Makes a partition's entry.
        ///
        /// - Parameters:
        ///   - partition: the partition key.
        ///   - headOrder: the order of the partition's first unfinished signal.
        ///   - count: the partition's pending signals.
        ///   - finishedAhead: finished signal records at the head to skip when read back.
        public init(partition: String, headOrder: UInt64, count: UInt64, finishedAhead: UInt64 = 0) {
            self.partition = partition
            self.headOrder = headOrder
            self.count = count
            self.finishedAhead = finishedAhead
        }
    }

    public var type: MarkerType
    /// Microseconds since the epoch.
    public var time: Int64
    public var nodeID: String
    /// Every signal record below this sequence was finished (processed or
    /// dead-lettered) when the marker was written; pending work is read back
    /// from here.
    public var lowWaterSequence: UInt64
    /// Metric totals, in ``SignalTotals`` field order.
    public var totals: SignalTotals
    public var deadLetters: [DeadLetterRef]
    /// Pending work per partition (those with none are left out); nil in a
    /// marker written before markers carried it, which a rebuild then
    /// reconstructs by reading every signal record from the low-water mark.
    public var pending: [PendingPartition]?

    /// Makes a marker.
    ///
    /// - Parameters:
    ///   - type: checkpoint or clean shutdown.
    ///   - time: when it was written, microseconds since the epoch.
    ///   - nodeID: the node that wrote it.
    ///   - lowWaterSequence: every signal record below this sequence was finished.
    ///   - totals: the node's metric totals.
    ///   - deadLetters: the dead letter queue.
    ///   - pending: pending work per partition.
    public init(type: MarkerType, time: Int64, nodeID: String, lowWaterSequence: UInt64, totals: SignalTotals, deadLetters: [DeadLetterRef],
                pending: [PendingPartition]? = nil) {
        self.type = type
        self.time = time
        self.nodeID = nodeID
        self.lowWaterSequence = lowWaterSequence
        self.totals = totals
        self.deadLetters = deadLetters
        self.pending = pending
    }

    /// The record's payload, as the log stores it.
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 128 + deadLetters.count * 64)
        writer.u8(Self.version)
        writer.u8(type.rawValue)
        writer.i64(time)
        writer.string(nodeID)
        writer.varint(lowWaterSequence)
        let counters = totals.fields
        writer.varint(counters.count)
        for counter in counters { writer.varint(counter) }
        writer.varint(deadLetters.count)
        for entry in deadLetters {
            writer.string(entry.signalID)
            writer.varint(entry.signalSequence)
            writer.u8(entry.reason.rawValue)
            writer.i64(entry.time)
            writer.varint(entry.retryCount)
            writer.string(entry.nodeID)
            writer.string(entry.error)
        }
        // Appended after the fields of the first revision, so decoders
        // that predate it read the rest of the marker unchanged.
        if let pending {
            writer.varint(pending.count)
            for entry in pending {
                writer.string(entry.partition)
                writer.varint(entry.headOrder)
                writer.varint(entry.count)
                writer.varint(entry.finishedAhead)
            }
        }
        return writer.bytes
    }

    /// Decodes a kind-5 payload.
    ///
    /// - Parameter payload: the record's payload, as stored in the log.
    /// - Returns: the decoded record.
    /// - Throws: ``SignalRecordError``: ``SignalRecordError/unsupportedVersion(kind:version:)``
    ///   when the payload's version byte is not 1;
    ///   ``SignalRecordError/truncated(field:)`` when the payload ends inside a
    ///   field; ``SignalRecordError/invalid(field:reason:)`` when a field cannot be
    ///   right (text that is not UTF-8, an unknown marker type or reason code).
    public static func decode(_ payload: [UInt8]) throws(SignalRecordError) -> MarkerRecord {
        var reader = ByteReader(payload)
        let version = try reader.u8("version")
        guard version == Self.version else { throw .unsupportedVersion(kind: SignalRecordKind.marker.rawValue, version: version) }
        let code = try reader.u8("marker_type")
        guard let type = MarkerType(rawValue: code) else { throw .invalid(field: "marker_type", reason: "unknown marker type \(code)") }
        let time = try reader.i64("time")
        let nodeID = try reader.string("node_id")
        let lowWater = try reader.varint("low_water_sequence")
        let counterCount = try reader.count("counter_count")
        var counters: [UInt64] = []
        for _ in 0..<counterCount { counters.append(try reader.varint("counter")) }
        let entryCount = try reader.count("dead_letter_count", minimumElementBytes: 13)
        var entries: [DeadLetterRef] = []
        entries.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            let id = try reader.string("dead_letter.signal_id")
            let sequence = try reader.varint("dead_letter.signal_sequence")
            let code = try reader.u8("dead_letter.reason")
            guard let reason = DeadLetterReason(rawValue: code) else { throw .invalid(field: "dead_letter.reason", reason: "unknown reason code \(code)") }
            let time = try reader.i64("dead_letter.time")
            let retry = try reader.varint("dead_letter.retry_count")
            let node = try reader.string("dead_letter.node_id")
            let error = try reader.string("dead_letter.error")
            entries.append(DeadLetterRef(signalID: id, signalSequence: sequence, reason: reason, time: time, retryCount: Int(min(retry, UInt64(Int32.max))), nodeID: node, error: error))
        }
        var pending: [PendingPartition]?
        if reader.remaining > 0 {
            let count = try reader.count("pending_partition_count", minimumElementBytes: 4)
            var table: [PendingPartition] = []
            table.reserveCapacity(count)
            for _ in 0..<count {
                let partition = try reader.string("pending.partition")
                let head = try reader.varint("pending.head_order")
                let pendingCount = try reader.varint("pending.count")
                let finished = try reader.varint("pending.finished_ahead")
                table.append(PendingPartition(partition: partition, headOrder: head, count: pendingCount, finishedAhead: finished))
            }
            pending = table
        }
        return MarkerRecord(type: type, time: time, nodeID: nodeID, lowWaterSequence: lowWater, totals: SignalTotals(fields: counters),
                            deadLetters: entries, pending: pending)
    }
}

/// Running totals a node keeps (and checkpoints) for its metrics.
public struct SignalTotals: Sendable, Equatable {
    /// Signals accepted (signal records written, carried copies excluded).
    public var received: UInt64 = 0
    /// Attempts that ended `processed`.
    public var processed: UInt64 = 0
    /// Attempts that ended `failed`.
    public var failedAttempts: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var conflicts: UInt64 = 0
    /// Signals refused by the breaker, flow control, shutdown or validation.
    public var rejected: UInt64 = 0
    /// dlq-move records for signals entering the queue.
    public var deadLettered: UInt64 = 0
    public var reprocessed: UInt64 = 0
    public var discarded: UInt64 = 0
    /// Dead-letterings that ran no handler, by cause (failed attempts are
    /// ``failedAttempts``); see ``errorsByCause``.
    public var unknownTypeFailures: UInt64 = 0
    public var unsupportedSchemaFailures: UInt64 = 0
    public var missingSchemaFailures: UInt64 = 0
    public var upcastFailures: UInt64 = 0

    /// Makes totals with every counter at zero.
    public init() {}

    /// Every failed processing outcome: failed attempts plus dead-letterings
    /// that ran no handler (docs/signals.md, "Errors").
    public var errors: UInt64 { errorsByCause.values.reduce(0, +) }

    /// ``errors`` split by cause (every cause present, zero or not).
    public var errorsByCause: [FailureCause: UInt64] {
        [.handlerFailed: failedAttempts, .unknownSignalType: unknownTypeFailures, .unsupportedSchemaVersion: unsupportedSchemaFailures,
         .missingSchemaVersion: missingSchemaFailures, .upcastFailed: upcastFailures]
    }

    /// Errors / (processed attempts + errors): the share of processing
    /// outcomes that failed, 0 when there were none.
    public var errorRate: Double {
        let errors = errors
        let outcomes = processed + errors
        return outcomes == 0 ? 0 : Double(errors) / Double(outcomes)
    }

    /// Counts one dead-lettering that ran no handler (nothing for
    /// ``DeadLetterReason/processingFailed``, counted by its attempts).
    mutating func countFailure(_ reason: DeadLetterReason) {
        switch FailureCause(deadLetterReason: reason) {
        case .unknownSignalType: unknownTypeFailures += 1
        case .unsupportedSchemaVersion: unsupportedSchemaFailures += 1
        case .missingSchemaVersion: missingSchemaFailures += 1
        case .upcastFailed: upcastFailures += 1
        case .handlerFailed, nil: break
        }
    }

    /// The counters in their stored order.
    public var fields: [UInt64] {
        [received, processed, failedAttempts, duplicates, conflicts, rejected, deadLettered, reprocessed, discarded,
         unknownTypeFailures, unsupportedSchemaFailures, missingSchemaFailures, upcastFailures]
    }

    /// Reads counters in stored order; missing ones are zero, extra ones ignored.
    ///
    /// - Parameter fields: the counters, in stored order.
    public init(fields: [UInt64]) {
        func at(_ index: Int) -> UInt64 { index < fields.count ? fields[index] : 0 }
        received = at(0); processed = at(1); failedAttempts = at(2); duplicates = at(3); conflicts = at(4)
        rejected = at(5); deadLettered = at(6); reprocessed = at(7); discarded = at(8)
        unknownTypeFailures = at(9); unsupportedSchemaFailures = at(10); missingSchemaFailures = at(11); upcastFailures = at(12)
    }
}

/// Any record a node writes, decoded by kind; what `signallog cat` shows.
public enum DecodedSignalRecord: Sendable, Equatable {
    case signal(SignalRecord)
    case attempt(AttemptRecord)
    case deadLetterMove(DeadLetterMoveRecord)
    case deadLetterResolve(DeadLetterResolveRecord)
    case marker(MarkerRecord)

    /// Decodes a payload of the given record kind.
    ///
    /// - Parameters:
    ///   - kind: the record's kind (``SignalRecordKind``).
    ///   - payload: the record's payload, as stored in the log.
    /// - Returns: the decoded record.
    /// - Throws: ``SignalRecordError/unknownKind(_:)`` for a kind that is not a
    ///   ``SignalRecordKind``; otherwise what that kind's `decode(_:)` throws
    ///   (``SignalRecordError/unsupportedVersion(kind:version:)``,
    ///   ``SignalRecordError/truncated(field:)``, ``SignalRecordError/invalid(field:reason:)``).
    public static func decode(kind: UInt8, payload: [UInt8]) throws(SignalRecordError) -> DecodedSignalRecord {
        guard let known = SignalRecordKind(rawValue: kind) else { throw .unknownKind(kind) }
        switch known {
        case .signal: return .signal(try SignalRecord.decode(payload))
        case .attempt: return .attempt(try AttemptRecord.decode(payload))
        case .deadLetterMove: return .deadLetterMove(try DeadLetterMoveRecord.decode(payload))
        case .deadLetterResolve: return .deadLetterResolve(try DeadLetterResolveRecord.decode(payload))
        case .marker: return .marker(try MarkerRecord.decode(payload))
        }
    }

    /// The signal id the record concerns (nil for markers).
    public var signalID: String? {
        switch self {
        case .signal(let record): return record.signal.id
        case .attempt(let record): return record.attempt.signalID
        case .deadLetterMove(let record): return record.signalID
        case .deadLetterResolve(let record): return record.signalID
        case .marker: return nil
        }
    }

    /// The correlation id the record carries (nil for markers).
    public var correlationID: String? {
        switch self {
        case .signal(let record): return record.signal.correlationID
        case .attempt(let record): return record.attempt.correlationID
        case .deadLetterMove(let record): return record.correlationID
        case .deadLetterResolve(let record): return record.correlationID
        case .marker: return nil
        }
    }
}
