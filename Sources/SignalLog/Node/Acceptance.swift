import SegmentLog

/// Accepting signals: each call is one log append, prepared before the node
/// lock and decided under it.
extension SignalNode {
    /// Accepts one signal (see ``receive(batch:)``).
    ///
    /// - Parameter signal: the signal to accept.
    /// - Returns: whether it was accepted, a duplicate, a conflict or rejected, and why.
    /// - Throws: `SegmentLogError` when the log cannot be written: `.io(operation:path:errno:)`
    ///   for a failed write, `.durabilityLost(path:errno:)` after a failed sync,
    ///   `.limitExceeded(what:value:limit:)` for a record over the log's limits; nothing was accepted then.
    public func receive(_ signal: Signal) throws -> ReceiveResult {
        try receive(batch: [signal])[0]
    }

    /// Accepts signals as one log append: for each, in order, the circuit
    /// breaker, the queue capacity and the dedupe set decide; accepted ones
    /// are written as signal records (the acknowledgement, one batch),
    /// refusals, duplicates and conflicts as attempt records, and accepted
    /// signals join their partition's queue.
    ///
    /// Throws only when the log cannot be written (then nothing was accepted).
    ///
    /// - Parameter signals: the signals to accept, in order.
    /// - Returns: one result per signal, in the same order; all `.rejected(.shuttingDown)`
    ///   once the node is closed.
    /// - Throws: `SegmentLogError` when the log cannot be written: `.io(operation:path:errno:)`
    ///   for a failed write, `.durabilityLost(path:errno:)` after a failed sync,
    ///   `.limitExceeded(what:value:limit:)` for a record over the log's limits.
    public func receive(batch signals: [Signal]) throws -> [ReceiveResult] {
        guard !signals.isEmpty else { return [] }
        return try decide(signals, Prepared(signals, log: log, dedupeSeed: dedupeSeed))
    }

    /// Does the part of ``receive(batch:)`` that needs no lock — checking,
    /// hashing, encoding and compressing the signals as if all will be
    /// accepted — so that a caller can run it on another thread while the
    /// previous batch is being decided and appended (`signallog ingest`
    /// keeps both cores busy this way). Pass the result to
    /// ``receive(prepared:)``; nothing is decided or written until then.
    ///
    /// - Parameter signals: the signals to accept, in order.
    /// - Returns: the prepared batch, to pass to ``receive(prepared:)``.
    public func prepare(_ signals: [Signal]) -> PreparedBatch {
        PreparedBatch(signals, Prepared(signals, log: log, dedupeSeed: dedupeSeed), log: log)
    }

    /// Accepts a batch made by ``prepare(_:)`` exactly as
    /// ``receive(batch:)`` accepts its signals. A batch is meant to be
    /// received once; received again (or by another node) its work is done
    /// afresh, so the answer is still that of ``receive(batch:)``.
    ///
    /// Throws only when the log cannot be written (then nothing was accepted).
    ///
    /// - Parameter batch: a batch made by ``prepare(_:)``.
    /// - Returns: one result per signal, in the batch's order.
    /// - Throws: `SegmentLogError` when the log cannot be written: `.io(operation:path:errno:)`
    ///   for a failed write, `.durabilityLost(path:errno:)` after a failed sync,
    ///   `.limitExceeded(what:value:limit:)` for a record over the log's limits.
    public func receive(prepared batch: PreparedBatch) throws -> [ReceiveResult] {
        guard !batch.signals.isEmpty else { return [] }
        return try decide(batch.signals, batch.take(for: log) ?? Prepared(batch.signals, log: log, dedupeSeed: dedupeSeed))
    }

    /// Decides a prepared batch under the node lock and appends it.
    private func decide(_ signals: [Signal], _ prepared: Prepared) throws -> [ReceiveResult] {
        let invalid = prepared.invalid
        var startKeys: [HashedString] = []
        var counts = (accepted: 0, duplicates: 0, conflicts: 0)
        var rejections: [String] = []
        let results: [ReceiveResult] = try state.withLock { (state) throws -> [ReceiveResult] in
            let now = clock.nowMicroseconds()
            if state.phase == .closed {
                return signals.map { _ in .rejected(.shuttingDown) }
            }
            state.dedupe.evictExpired(now: now)
            // The append time this batch will get (every node append holds
            // this lock), which dedupe entries record.
            let stamp = max(now, log.lastAppendTime ?? .min)
            // Signal i of the batch becomes record first + i (refusals are
            // written in place as attempt records).
            let first = log.nextSequence
            // The dedupe set is updated at once (so duplicates within the
            // batch are caught) and rolled back if the append fails.
            var refusals: [ReceiveResult?] = Array(repeating: nil, count: signals.count)
            var claimed: [(position: Int, key: HashedString, previous: DedupeEntry?)] = []
            claimed.reserveCapacity(signals.count)
            var probes: [String] = []
            var depth = work.withLock { $0.queues.depth }
            for (position, signal) in signals.enumerated() {
                if state.phase != .running {
                    refusals[position] = .rejected(.shuttingDown)
                } else if let problem = invalid[position] {
                    refusals[position] = .rejected(.invalidSignal(problem))
                } else if depth >= options.queueCapacity {
                    refusals[position] = .rejected(.backpressure(Backpressure(depth: depth, capacity: options.queueCapacity)))
                } else {
                    switch breaker.admit(signal.id) {
                    case .rejected: refusals[position] = .rejected(.circuitOpen)
                    case .probe: probes.append(signal.id)
                    case .allowed: break
                    }
                }
                guard refusals[position] == nil, let key = prepared.keys[position] else { continue }
                // One lookup for the common case (a new key): claim it, and
                // put the previous entry back if that makes this signal a duplicate.
                let fingerprint = prepared.fingerprints[position]
                let previous = state.dedupe.claim(key, for: DedupeEntry(signalID: signal.id, fingerprint: fingerprint, acceptedAt: stamp,
                                                                                   sequence: first + UInt64(position)))
                if let seen = previous, seen.acceptedAt + ttl > now, !Self.defaultKeysCollided(signal, seen) {
                    state.dedupe.restore(key, to: seen)
                    refusals[position] = seen.fingerprint == fingerprint
                        ? .duplicate(originalID: seen.signalID) : .conflict(originalID: seen.signalID)
                    breaker.release(signal.id)
                } else {
                    claimed.append((position, key, previous))
                    depth += 1
                }
            }
            let result: AppendResult
            do {
                if let draft = prepared.draft, claimed.count == signals.count {
                    result = try log.append(draft, at: stamp)
                } else {
                    result = try appendDecided(signals, refusals: refusals, now: now, writer: &state.writer)
                }
            } catch {
                for id in probes { breaker.release(id) }
                for entry in claimed.reversed() { state.dedupe.restore(entry.key, to: entry.previous) }
                throw error
            }
            // The keys expire TTL after the log's append time (what a rebuild sees).
            if result.timestamp != stamp {
                for entry in claimed { state.dedupe.setAcceptedAt(entry.key, result.timestamp) }
            }
            for entry in claimed {
                let sequence = result.firstSequence + UInt64(entry.position)
                state.dedupe.noteAccepted(entry.key, sequence: sequence, acceptedAt: result.timestamp)
            }
            work.withLock { work in
                for entry in claimed {
                    let key = prepared.partitions[entry.position]!
                    let sequence = result.firstSequence + UInt64(entry.position)
                    // A signal past the memory window is only counted: no copy of it is made.
                    if work.queues.enqueue(sequence: sequence, acceptedAt: result.timestamp, key: key, signal: signals[entry.position]) {
                        startKeys.append(key)
                    }
                }
            }
            var output: [ReceiveResult] = []
            output.reserveCapacity(signals.count)
            for (position, refusal) in refusals.enumerated() {
                switch refusal {
                case nil: output.append(.accepted(sequence: result.firstSequence + UInt64(position)))
                case .duplicate: state.totals.duplicates += 1; counts.duplicates += 1
                case .conflict: state.totals.conflicts += 1; counts.conflicts += 1
                case .rejected(let reason): state.totals.rejected += 1; rejections.append(reason.code)
                case .accepted: preconditionFailure("a refusal cannot be an acceptance")
                }
                if let refusal { output.append(refusal) }
            }
            state.totals.received += UInt64(claimed.count)
            counts.accepted = claimed.count
            state.recordsSinceCheckpoint += signals.count
            maybeCheckpoint(&state)
            startWorkers(startKeys)
            return output
        }
        if counts.accepted > 0 { metrics.received.increment(by: Int64(counts.accepted)) }
        if counts.duplicates > 0 { metrics.duplicates.increment(by: Int64(counts.duplicates)) }
        if counts.conflicts > 0 { metrics.conflicts.increment(by: Int64(counts.conflicts)) }
        for code in rejections { metrics.rejected[code]?.increment() }
        return results
    }

    /// What acceptance works out before it takes the node lock.
    struct Prepared {
        /// Why each signal cannot be accepted at all (``validate(_:)``), or nil.
        var invalid: [String?]
        /// Each valid signal's idempotency key and partition key, hashed (nil: invalid).
        var keys: [HashedString?]
        var partitions: [HashedString?]
        var fingerprints: [UInt64]
        /// Every signal's record, compressed: the batch to write if all are
        /// accepted. Nil when one is invalid or breaks the log's limits
        /// (the append under the lock then reports it).
        var draft: BatchDraft?

        init(_ signals: [Signal], log: SegmentLog, dedupeSeed: UInt64) {
            let invalid = signals.map(SignalNode.validate)
            self.invalid = invalid
            keys = Array(repeating: nil, count: signals.count)
            partitions = Array(repeating: nil, count: signals.count)
            fingerprints = Array(repeating: 0, count: signals.count)
            var draft: BatchDraft? = invalid.allSatisfy { $0 == nil } ? log.makeDraft() : nil
            var writer = ByteWriter(capacity: 1024)
            for (position, signal) in signals.enumerated() where invalid[position] == nil {
                keys[position] = DedupeSet.key(signal.idempotencyKey, seed: dedupeSeed)
                partitions[position] = HashedString(signal.partitionKey)
                fingerprints[position] = DedupeEntry.fingerprint(of: signal)
                guard let batch = draft else { continue }
                writer.bytes.removeAll(keepingCapacity: true)
                SignalRecord.encode(signal, into: &writer)
                do {
                    try batch.add(kind: SignalRecordKind.signal.rawValue, partition: signal.partitionKey, payload: writer.bytes, eventTime: signal.createdAt)
                } catch {
                    draft = nil
                }
            }
            draft?.compress()
            self.draft = draft
        }
    }

    /// Appends a batch in which some signals were refused: signal records
    /// for the accepted ones (`nil` refusals), attempt records for the rest.
    private func appendDecided(_ signals: [Signal], refusals: [ReceiveResult?], now: Int64,
                               writer: inout ByteWriter) throws -> AppendResult {
        try log.appendBatch { batch in
            for (position, signal) in signals.enumerated() {
                writer.bytes.removeAll(keepingCapacity: true)
                guard let refusal = refusals[position] else {
                    SignalRecord.encode(signal, into: &writer)
                    try batch.add(kind: SignalRecordKind.signal.rawValue, partition: signal.partitionKey, payload: writer.bytes, eventTime: signal.createdAt)
                    continue
                }
                let outcome: AttemptOutcome
                switch refusal {
                case .duplicate(let original): outcome = .duplicate(of: original)
                case .conflict(let original): outcome = .conflict(with: original)
                case .rejected(let reason): outcome = .rejected(reason.description)
                case .accepted: preconditionFailure("a refusal cannot be an acceptance")
                }
                AttemptRecord.encode(ProcessingAttempt(signalID: signal.id, nodeID: nodeID, startedAt: now, duration: 0,
                                                       outcome: outcome, correlationID: signal.correlationID), into: &writer)
                try batch.add(kind: SignalRecordKind.attempt.rawValue, partition: signal.partitionKey, payload: writer.bytes)
            }
        }
    }

    /// Default keys carry only 8 hex digits of the signal id, so two
    /// different signals can draw the same one (likely among tens of
    /// thousands within a TTL). A match counts as a duplicate only when the
    /// key was not derived from the incoming signal's own id, or the ids are
    /// equal (the same signal sent again).
    static func defaultKeysCollided(_ signal: Signal, _ seen: DedupeEntry) -> Bool {
        seen.signalID != signal.id
            && signal.idempotencyKey == Signal.defaultIdempotencyKey(sourceID: signal.sourceID, type: signal.type, id: signal.id)
    }

    /// Why a signal cannot be accepted at all, or nil.
    static func validate(_ signal: Signal) -> String? {
        if signal.id.isEmpty { return "id must not be empty" }
        if signal.type.isEmpty { return "signal_type must not be empty" }
        if signal.sourceID.isEmpty { return "source_id must not be empty" }
        if !(signal.urgency >= 0 && signal.urgency <= 1) { return "urgency must be between 0.0 and 1.0, got \(signal.urgency)" }
        if signal.retryCount < 0 { return "retry_count must not be negative" }
        // What follows keeps every accepted signal exportable as JSON and
        // importable as the same signal (docs/signals.md).
        if signal.retryCount > Int(Int32.max) { return "retry_count must be at most \(Int32.max), got \(signal.retryCount)" }
        if case .json(.null) = signal.content { return "content must not be null" }
        if !RFC3339.signalRange.contains(signal.createdAt) {
            return "timestamp \(RFC3339.format(microseconds: signal.createdAt)) is outside \(RFC3339.signalRangeDescription)"
        }
        if let traceparent = signal.traceparent {
            do { _ = try TraceParent(parsing: traceparent) } catch { return "traceparent: \(error.reason)" }
        }
        return nil
    }
}
