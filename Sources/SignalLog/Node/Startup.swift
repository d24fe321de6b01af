import DequeModule
import SegmentLog

/// What a node read to rebuild its projections at open.
public struct StartupReport: Sendable, Equatable {
    /// Sequence of the newest checkpoint or clean-shutdown marker, if any.
    public var markerSequence: UInt64?
    /// When the newest marker was written (microseconds) and by which node.
    public var markerTime: Int64?
    public var markerNodeID: String?
    /// The newest marker is a clean-shutdown marker and nothing follows it.
    public var cleanShutdown = false
    /// The scan started here: min(marker low-water mark, first record within
    /// the dedupe TTL, marker + 1).
    public var scannedFrom: UInt64 = 0
    /// Records decoded by the scan (not counting the marker search and dead-letter reads).
    public var recordsScanned = 0
    /// Batches decoded in total and bytes read from segments in total.
    public var batchesDecoded = 0
    public var bytesRead: Int64 = 0
    public var pendingSignals = 0
    public var deadLetters = 0
    public var dedupeKeys = 0
    /// How the dedupe window was restored: nil when it was read from the
    /// dedupe snapshot (``dedupeSnapshotSequence`` says of which marker),
    /// else why the snapshot was not used and the window was rebuilt from
    /// the log (docs/signals.md, "Dedupe").
    public var dedupeSnapshotProblem: DedupeSnapshotError?
    /// The marker whose dedupe snapshot was used.
    public var dedupeSnapshotSequence: UInt64?
    /// Records skipped because they could not be decoded (lenient rebuilds
    /// only: a node's own rebuild fails on them).
    public var undecodableRecords = 0
}

/// How ``Startup/rebuild(log:now:ttl:mode:)`` reads.
struct RebuildMode: Sendable {
    /// Skip undecodable records (counted) and stand in a placeholder for a
    /// dead letter's missing signal record, instead of failing: for
    /// inspecting damaged logs, never for a node that will write.
    var lenient = false
    /// Read only the dead-letter moves and resolutions after the newest
    /// marker (enough for the dead letter queue; the rest stays partial).
    var deadLettersOnly = false
    /// Count only the keys of the dedupe window (``Projections/dedupeKeyCount``,
    /// from the dedupe snapshot and the signal records after it, decoded up to the key):
    /// for inspection, which reports the window but never deduplicates.
    var dedupeKeysOnly = false
}

/// Rebuilds a node's projections from its log: the newest marker (found
/// through the segment summaries, searching back from the tail), then the
/// records after it, and the signal records within the dedupe TTL before it.
///
/// Pending work comes out as positions and counts (``BacklogCursor``), not
/// signals: the marker's table says where each partition's pending work
/// begins and how much there is, and the records after the marker add what
/// was accepted and take off what was finished. Finishing is in partition
/// order, so the finished signals are always the first ones of their
/// partition: counting them is enough. Only a marker without the table
/// (written before markers carried it) makes the rebuild read every signal
/// record from the marker's low-water mark and hold the pending ones.
enum Startup {
    /// - Parameter dedupe: the empty store to fill (its limits, record
    ///   source and reporting); a usable snapshot replaces its contents.
    static func rebuild(log: SegmentLog, now: Int64, ttl: Int64, mode: RebuildMode = RebuildMode(),
                        dedupe: DedupeSet? = nil) throws -> (Projections, StartupReport) {
        var report = StartupReport()
        var statistics = ReadStatistics()
        let marker = try newestMarker(in: log, statistics: &statistics, lenient: mode.lenient, undecodable: &report.undecodableRecords)
        let end = log.nextSequence
        report.markerSequence = marker?.sequence
        report.markerTime = marker?.record.time
        report.markerNodeID = marker?.record.nodeID
        report.cleanShutdown = marker.map { $0.record.type == .cleanShutdown && $0.sequence + 1 == end } ?? false

        var projections = Projections()
        if let dedupe {
            projections.dedupe = dedupe
        } else {
            projections.dedupe = DedupeSet(ttl: ttl, maxKeys: SignalNodeOptions().dedupeMaxKeys)
            projections.dedupe.source = DedupeRecordSource(log: log, logger: SignalNodeOptions().logger)
        }
        let cutoff = now - ttl
        // First record inside the dedupe TTL (append time > now - TTL).
        let ttlReader = log.read(LogQuery(since: cutoff + 1))
        let ttlStart = try ttlReader.next()?.sequence ?? end
        add(ttlReader.statistics, to: &statistics)

        let first = log.firstSequence
        let afterMarker = max(first, marker.map { $0.sequence + 1 } ?? first)
        // A marker without the pending table: hold every pending signal, found by id.
        let legacy = marker.map { $0.record.pending == nil } ?? false
        var lowWater = first
        var cursors: [HashedString: BacklogCursor] = [:]
        var frontier = afterMarker
        if let marker {
            lowWater = marker.record.lowWaterSequence
            projections.totals = marker.record.totals
            for entry in marker.record.pending ?? [] {
                cursors[HashedString(entry.partition)] = BacklogCursor(count: Int(clamping: entry.count), minimumOrder: entry.headOrder,
                                                                       finishedAhead: Int(clamping: entry.finishedAhead))
            }
            if !(marker.record.pending ?? []).isEmpty { frontier = max(first, min(frontier, lowWater)) }
            for ref in marker.record.deadLetters {
                guard var signal = try readSignal(at: ref.signalSequence, in: log, statistics: &statistics, lenient: mode.lenient)
                    ?? placeholder(ref.signalID, lenient: mode.lenient) else {
                    throw SignalNodeError.badRecord(sequence: ref.signalSequence, reason: "dead letter \(ref.signalID) refers to a signal record that is not in the log")
                }
                signal.retryCount = ref.retryCount
                projections.deadLetters[ref.signalID] = DeadLetter(signal: signal, reason: ref.reason, error: ref.error, time: ref.time,
                                                                   nodeID: ref.nodeID, sequence: ref.signalSequence)
            }
        }
        // The dedupe window: from the snapshot when it is usable, then the
        // signal records after its marker (and within the TTL).
        var dedupeFrom: UInt64 = 0
        if !mode.deadLettersOnly {
            switch DedupeSnapshot.read(from: log, ttl: ttl, maxKeys: projections.dedupe.maxKeys, keepingSlots: !mode.dedupeKeysOnly) {
            case .success(let snapshot) where snapshot.markerSequence < afterMarker:
                dedupeFrom = snapshot.markerSequence + 1
                report.dedupeSnapshotSequence = snapshot.markerSequence
                if mode.dedupeKeysOnly {
                    projections.dedupeKeyCount = try countKeys(in: snapshot.store, since: cutoff, log: log, statistics: &statistics)
                } else {
                    var store = snapshot.store
                    store.source = projections.dedupe.source
                    store.onEarlyDrop = projections.dedupe.onEarlyDrop
                    store.evictExpired(now: now)
                    projections.dedupe = store
                }
            case .success(let snapshot):
                report.dedupeSnapshotProblem = .stale(path: log.directory + "/" + DedupeSnapshot.fileName,
                                                      reason: "marker \(snapshot.markerSequence) is newer than the log's newest marker")
            case .failure(let problem):
                report.dedupeSnapshotProblem = problem
            }
        }
        let dedupeStart = max(ttlStart, dedupeFrom)
        let start = max(first, min(legacy ? lowWater : afterMarker, dedupeStart, afterMarker))
        report.scannedFrom = start

        // Legacy rebuilds only: signals accepted and not yet finished, by id
        // (a pending signal is one reference to its signal: the table and
        // the sort move small values).
        var candidates: [HashedString: PendingSignal] = [:]
        func after(_ sequence: UInt64) -> Bool { sequence >= afterMarker }
        func remember(_ key: String, sequence: UInt64, at timestamp: Int64) {
            guard timestamp > cutoff, sequence >= dedupeStart else { return }
            if mode.dedupeKeysOnly {
                projections.dedupeKeyCount += 1
                return
            }
            projections.dedupe.remember(projections.dedupe.key(key), sequence: sequence, acceptedAt: timestamp)
        }
        /// A record after the marker finished the first pending signal of `partition`.
        func finish(_ partition: String, id: String) {
            if legacy {
                candidates.removeValue(forKey: HashedString(id))
                return
            }
            let key = HashedString(partition)
            guard var cursor = cursors[key], cursor.count > 0 else { return }
            cursor.count -= 1
            cursor.finishedAhead += 1
            cursors[key] = cursor
        }

        if !legacy, !mode.deadLettersOnly, start < afterMarker {
            // Before the marker only the dedupe window is needed.
            let reader = log.read(LogQuery(fromSequence: start, throughSequence: afterMarker - 1, kinds: [SignalRecordKind.signal.rawValue]))
            while let record = try reader.next() {
                report.recordsScanned += 1
                do {
                    let header = try SignalRecord.decodeKey(record.payload)
                    if header.carriedFrom == nil { remember(header.idempotencyKey, sequence: record.sequence, at: record.timestamp) }
                } catch {
                    guard mode.lenient else { throw SignalNodeError.badRecord(sequence: record.sequence, reason: error.description) }
                    report.undecodableRecords += 1
                }
            }
            add(reader.statistics, to: &statistics)
        }

        var query = LogQuery(fromSequence: legacy ? start : afterMarker)
        if mode.deadLettersOnly {
            // Moves and resolutions after the marker are all the queue needs;
            // the signals of new moves are read one by one through the index.
            query = LogQuery(fromSequence: afterMarker,
                             kinds: [SignalRecordKind.deadLetterMove.rawValue, SignalRecordKind.deadLetterResolve.rawValue])
        }
        let reader = log.read(query)
        while let record = try reader.next() {
            report.recordsScanned += 1
            guard let kind = SignalRecordKind(rawValue: record.kind) else { continue }
            do {
                switch kind {
                case .signal where !legacy:
                    let header = try SignalRecord.decodeKey(record.payload)
                    guard header.carriedFrom == nil else { continue }
                    remember(header.idempotencyKey, sequence: record.sequence, at: record.timestamp)
                    if after(record.sequence) {
                        projections.totals.received += 1
                        cursors[HashedString(record.partition), default: BacklogCursor(minimumOrder: afterMarker)].count += 1
                    }
                case .signal:
                    let decoded = try SignalRecord.decode(record.payload)
                    let signal = decoded.signal
                    if decoded.carriedFrom == nil {
                        remember(signal.idempotencyKey, sequence: record.sequence, at: record.timestamp)
                        if after(record.sequence) { projections.totals.received += 1 }
                    }
                    if legacy, record.sequence >= lowWater {
                        let id = HashedString(signal.id)
                        if candidates[id] != nil {
                            candidates[id]!.sequence = record.sequence
                        } else {
                            candidates[id] = PendingSignal(signal: signal, sequence: record.sequence,
                                                           order: decoded.carriedFrom ?? record.sequence, acceptedAt: record.timestamp)
                        }
                    }
                case .attempt:
                    let attempt = try AttemptRecord.decode(record.payload).attempt
                    if legacy, case .processed = attempt.outcome { candidates.removeValue(forKey: HashedString(attempt.signalID)) }
                    guard after(record.sequence) else { continue }
                    switch attempt.outcome {
                    case .processed:
                        projections.totals.processed += 1
                        // A reprocessed dead letter was not pending.
                        if projections.deadLetters[attempt.signalID] == nil { finish(record.partition, id: attempt.signalID) }
                    case .failed: projections.totals.failedAttempts += 1
                    case .duplicate: projections.totals.duplicates += 1
                    case .conflict: projections.totals.conflicts += 1
                    case .rejected: projections.totals.rejected += 1
                    }
                case .deadLetterMove:
                    let move = try DeadLetterMoveRecord.decode(record.payload)
                    let candidate = candidates.removeValue(forKey: HashedString(move.signalID))
                    guard after(record.sequence) else { continue }
                    // The first move of a signal finishes it; later ones (a
                    // failed reprocess, a carried dead letter) do not.
                    if projections.deadLetters[move.signalID] == nil, !legacy { finish(record.partition, id: move.signalID) }
                    var signal: Signal
                    if let candidate {
                        signal = candidate.signal
                    } else if let existing = projections.deadLetters[move.signalID] {
                        signal = existing.signal
                    } else if let loaded = try readSignal(at: move.signalSequence, in: log, statistics: &statistics, lenient: mode.lenient)
                                ?? placeholder(move.signalID, lenient: mode.lenient) {
                        signal = loaded
                    } else {
                        throw SignalNodeError.badRecord(sequence: record.sequence, reason: "dlq-move for \(move.signalID) refers to a missing signal record")
                    }
                    if projections.deadLetters[move.signalID] == nil { projections.totals.deadLettered += 1 }
                    // A failed outcome: entering the queue, or a reprocess
                    // (a new retry count); a carried copy repeats the entry.
                    if projections.deadLetters[move.signalID]?.signal.retryCount != move.retryCount { projections.totals.countFailure(move.reason) }
                    signal.retryCount = move.retryCount
                    projections.deadLetters[move.signalID] = DeadLetter(signal: signal, reason: move.reason, error: move.error, time: move.time,
                                                                        nodeID: move.nodeID, sequence: move.signalSequence)
                case .deadLetterResolve:
                    let resolve = try DeadLetterResolveRecord.decode(record.payload)
                    guard after(record.sequence) else { continue }
                    if projections.deadLetters.removeValue(forKey: resolve.signalID) != nil {
                        if resolve.resolution == .reprocessed { projections.totals.reprocessed += 1 } else { projections.totals.discarded += 1 }
                    }
                case .marker:
                    continue
                }
            } catch let error as SignalRecordError {
                guard mode.lenient else { throw SignalNodeError.badRecord(sequence: record.sequence, reason: error.description) }
                report.undecodableRecords += 1
            }
        }
        add(reader.statistics, to: &statistics)

        var queues = PartitionQueues()
        queues.frontier = frontier
        queues.backlogEnd = end
        if legacy {
            queues.frontier = end
            for candidate in candidates.values.sorted(by: { $0.order < $1.order }) {
                let key = HashedString(candidate.signal.partitionKey)
                var queue = queues.partitions[key] ?? PartitionQueue()
                _ = queues.hold(candidate, in: &queue)
                queue.running = false
                queues.partitions[key] = queue
                queues.depth += 1
            }
        } else if !mode.deadLettersOnly {
            for (key, cursor) in cursors where cursor.count > 0 {
                queues.partitions[key] = PartitionQueue(cursor: cursor)
                queues.depth += cursor.count
                queues.backlog += cursor.count
            }
        }
        projections.queues = queues
        report.pendingSignals = queues.depth
        report.deadLetters = projections.deadLetters.count
        report.dedupeKeys = mode.dedupeKeysOnly ? projections.dedupeKeyCount : projections.dedupe.count
        report.batchesDecoded = statistics.batchesDecoded
        report.bytesRead = statistics.bytesRead
        return (projections, report)
    }

    /// Keys of a snapshot's store accepted after `cutoff`: whole slices
    /// from their counts, and a slice that straddles the cutoff by reading
    /// its signal records (one slice at most is read).
    static func countKeys(in store: DedupeSet, since cutoff: Int64, log: SegmentLog, statistics: inout ReadStatistics) throws -> Int {
        var keys = 0
        for slice in store.slices where slice.lastTime > cutoff {
            if slice.firstTime > cutoff {
                keys += slice.count
                continue
            }
            let reader = log.read(LogQuery(fromSequence: slice.firstSequence, throughSequence: slice.endSequence - 1,
                                           kinds: [SignalRecordKind.signal.rawValue]))
            while let record = try reader.next() {
                guard record.timestamp > cutoff else { continue }
                if (try? SignalRecord.decodeKey(record.payload)).map({ $0.carriedFrom == nil }) ?? false { keys += 1 }
            }
            add(reader.statistics, to: &statistics)
        }
        return keys
    }

    static func add(_ statistics: ReadStatistics, to total: inout ReadStatistics) {
        total.batchesDecoded += statistics.batchesDecoded
        total.bytesRead += statistics.bytesRead
        total.segmentsVisited += statistics.segmentsVisited
    }

    /// The newest marker: the last segment whose summary counts markers is
    /// searched from its end in growing windows, so a marker near the tail
    /// costs a few batches, not the segment.
    /// A lenient rebuild skips an undecodable marker (counted) and goes on searching.
    static func newestMarker(in log: SegmentLog, statistics: inout ReadStatistics, lenient: Bool = false,
                             undecodable: inout Int) throws -> (sequence: UInt64, record: MarkerRecord)? {
        let kind = SignalRecordKind.marker.rawValue
        for segment in log.segments().reversed() {
            guard (segment.recordsByKind[kind] ?? 0) > 0, let last = segment.lastSequence else { continue }
            var window: UInt64 = 512
            while true {
                let from = last - segment.baseSequence + 1 > window ? last + 1 - window : segment.baseSequence
                let reader = log.read(LogQuery(fromSequence: from, throughSequence: last, kinds: [kind]))
                var found: (sequence: UInt64, record: MarkerRecord)?
                var failure: (sequence: UInt64, reason: String)?
                while let record = try reader.next() {
                    do {
                        found = (record.sequence, try MarkerRecord.decode(record.payload))
                        failure = nil
                    } catch {
                        failure = (record.sequence, error.description)
                    }
                }
                add(reader.statistics, to: &statistics)
                if let failure {
                    guard lenient else { throw SignalNodeError.badRecord(sequence: failure.sequence, reason: failure.reason) }
                    undecodable += 1
                }
                if let found { return found }
                if from == segment.baseSequence { break }
                window *= 8
            }
        }
        return nil
    }

    /// The signal in the signal record at `sequence`, if there is one.
    /// (A lenient read answers nil for an undecodable one.)
    static func readSignal(at sequence: UInt64, in log: SegmentLog, statistics: inout ReadStatistics, lenient: Bool = false) throws -> Signal? {
        let reader = log.read(LogQuery(fromSequence: sequence, throughSequence: sequence, kinds: [SignalRecordKind.signal.rawValue]))
        defer { add(reader.statistics, to: &statistics) }
        guard let record = try reader.next() else { return nil }
        do {
            return try SignalRecord.decode(record.payload).signal
        } catch {
            if lenient { return nil }
            throw SignalNodeError.badRecord(sequence: sequence, reason: error.description)
        }
    }

    /// What a lenient rebuild lists for a dead letter whose signal record is
    /// gone: its id, type and source "?" (nil when not lenient).
    static func placeholder(_ signalID: String, lenient: Bool) -> Signal? {
        lenient ? Signal(content: .text(""), type: "?", sourceID: "?", id: signalID) : nil
    }
}
