import SegmentLog
import SignalLog

/// The processing layer's state in a log, rebuilt read-only the way a node
/// rebuilds it at open (newest marker, then the records after
/// `min(low-water mark, now − TTL, marker)`), so `info`, `dlq` and `vacuum`
/// can report dead letters, pending work and the dedupe window without
/// opening the log for writing.
struct LogInspection {
    struct DeadLetterEntry {
        var signal: Signal
        var reason: DeadLetterReason
        var error: String
        var time: Int64
        var nodeID: String
        /// Sequence of its signal record.
        var sequence: UInt64
        /// Processing attempts recorded for it, when loaded with history.
        var attempts: [ProcessingAttempt] = []
    }

    struct Pending {
        var signal: Signal
        var sequence: UInt64
        var order: UInt64
        var acceptedAt: Int64
    }

    var markerSequence: UInt64?
    var markerTime: Int64?
    var markerNode: String?
    /// The newest marker is a clean-shutdown marker and nothing follows it.
    var cleanShutdown = false
    var deadLetters: [String: DeadLetterEntry] = [:]
    var pending: [String: Pending] = [:]
    var totals = SignalTotals()
    /// Idempotency keys accepted within the TTL before `now`.
    var dedupeKeys: Set<String> = []
    var dedupeTTL: Int64
    var now: Int64
    var recordsScanned = 0
    /// Records that are not the processing layer's (or undecodable), skipped.
    var undecodable = 0

    /// Whether the log holds any processing-layer records at all.
    var hasSignals: Bool { markerSequence != nil || totals.received > 0 || !deadLetters.isEmpty || !pending.isEmpty }

    var sortedDeadLetters: [DeadLetterEntry] { deadLetters.values.sorted { ($0.time, $0.sequence) < ($1.time, $1.sequence) } }

    var pendingByPartition: [String: Int] {
        var out: [String: Int] = [:]
        for item in pending.values { out[item.signal.partitionKey, default: 0] += 1 }
        return out
    }

    /// What a caller needs: everything (info, vacuum), or only the dead
    /// letter queue (dlq), which reads just the DLQ records after the newest marker.
    enum Scope { case everything, deadLetters }

    static func load(_ log: SegmentLog, now: Int64 = TimeExpression.nowMicroseconds(), ttl: Int64 = 300_000_000, scope: Scope = .everything) throws -> LogInspection {
        var inspection = LogInspection(dedupeTTL: ttl, now: now)
        let end = log.nextSequence
        let marker = try newestMarker(in: log)
        inspection.markerSequence = marker?.sequence
        inspection.markerTime = marker?.record.time
        inspection.markerNode = marker?.record.nodeID
        inspection.cleanShutdown = marker.map { $0.record.type == .cleanShutdown && $0.sequence + 1 == end } ?? false
        let cutoff = now - ttl
        let ttlStart = try log.read(LogQuery(since: cutoff + 1)).next()?.sequence ?? end
        var start = log.firstSequence
        var lowWater = log.firstSequence
        if let marker {
            lowWater = marker.record.lowWaterSequence
            start = max(log.firstSequence, min(lowWater, ttlStart, marker.sequence + 1))
            inspection.totals = marker.record.totals
            for ref in marker.record.deadLetters {
                var signal = try readSignal(at: ref.signalSequence, in: log)
                    ?? Signal(content: .text(""), type: "?", sourceID: "?", id: ref.signalID)
                signal.retryCount = ref.retryCount
                inspection.deadLetters[ref.signalID] = DeadLetterEntry(signal: signal, reason: ref.reason, error: ref.error, time: ref.time, nodeID: ref.nodeID, sequence: ref.signalSequence)
            }
        }
        func after(_ sequence: UInt64) -> Bool { marker.map { sequence > $0.sequence } ?? true }
        var query = LogQuery(fromSequence: start)
        if scope == .deadLetters {
            // Moves and resolutions after the marker are all the queue needs;
            // the signals of new moves are read one by one through the index.
            query = LogQuery(fromSequence: marker.map { $0.sequence + 1 } ?? log.firstSequence,
                             kinds: [SignalRecordKind.deadLetterMove.rawValue, SignalRecordKind.deadLetterResolve.rawValue])
        }
        let reader = log.read(query)
        while let record = try reader.next() {
            inspection.recordsScanned += 1
            guard let decoded = try? DecodedSignalRecord.decode(kind: record.kind, payload: record.payload) else {
                if record.kind != RecordKinds.lost { inspection.undecodable += 1 }
                continue
            }
            switch decoded {
            case .signal(let value):
                let signal = value.signal
                if value.carriedFrom == nil {
                    if record.timestamp > cutoff { inspection.dedupeKeys.insert(signal.idempotencyKey) }
                    if after(record.sequence) { inspection.totals.received += 1 }
                }
                if record.sequence >= lowWater {
                    if var existing = inspection.pending[signal.id] {
                        existing.sequence = record.sequence
                        inspection.pending[signal.id] = existing
                    } else {
                        inspection.pending[signal.id] = Pending(signal: signal, sequence: record.sequence, order: value.carriedFrom ?? record.sequence, acceptedAt: record.timestamp)
                    }
                }
            case .attempt(let value):
                let attempt = value.attempt
                if case .processed = attempt.outcome { inspection.pending.removeValue(forKey: attempt.signalID) }
                guard after(record.sequence) else { continue }
                switch attempt.outcome {
                case .processed: inspection.totals.processed += 1
                case .failed: inspection.totals.failedAttempts += 1
                case .duplicate: inspection.totals.duplicates += 1
                case .conflict: inspection.totals.conflicts += 1
                case .rejected: inspection.totals.rejected += 1
                }
            case .deadLetterMove(let move):
                let candidate = inspection.pending.removeValue(forKey: move.signalID)
                guard after(record.sequence) else { continue }
                var signal = candidate?.signal ?? inspection.deadLetters[move.signalID]?.signal
                if signal == nil { signal = try readSignal(at: move.signalSequence, in: log) }
                if inspection.deadLetters[move.signalID] == nil { inspection.totals.deadLettered += 1 }
                var entry = signal ?? Signal(content: .text(""), type: "?", sourceID: "?", id: move.signalID)
                entry.retryCount = move.retryCount
                inspection.deadLetters[move.signalID] = DeadLetterEntry(signal: entry, reason: move.reason, error: move.error, time: move.time, nodeID: move.nodeID, sequence: move.signalSequence)
            case .deadLetterResolve(let resolve):
                guard after(record.sequence) else { continue }
                if inspection.deadLetters.removeValue(forKey: resolve.signalID) != nil {
                    if resolve.resolution == .reprocessed { inspection.totals.reprocessed += 1 } else { inspection.totals.discarded += 1 }
                }
            case .marker:
                continue
            }
        }
        return inspection
    }

    /// The newest marker, searched from the tail through the segment summaries.
    static func newestMarker(in log: SegmentLog) throws -> (sequence: UInt64, record: MarkerRecord)? {
        let kind = SignalRecordKind.marker.rawValue
        for segment in log.segments().reversed() {
            guard (segment.recordsByKind[kind] ?? 0) > 0, let last = segment.lastSequence else { continue }
            var window: UInt64 = 512
            while true {
                let from = last - segment.baseSequence + 1 > window ? last + 1 - window : segment.baseSequence
                let reader = log.read(LogQuery(fromSequence: from, throughSequence: last, kinds: [kind]))
                var found: (UInt64, [UInt8])?
                while let record = try reader.next() { found = (record.sequence, record.payload) }
                if let (sequence, payload) = found, let marker = try? MarkerRecord.decode(payload) {
                    return (sequence, marker)
                }
                if from == segment.baseSequence { break }
                window *= 8
            }
        }
        return nil
    }

    static func readSignal(at sequence: UInt64, in log: SegmentLog) throws -> Signal? {
        let reader = log.read(LogQuery(fromSequence: sequence, throughSequence: sequence, kinds: [SignalRecordKind.signal.rawValue]))
        guard let record = try reader.next() else { return nil }
        return try? SignalRecord.decode(record.payload).signal
    }
}
