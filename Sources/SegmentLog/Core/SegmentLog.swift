
/// An append-only log of records in rotating, LZ4-compressed segment files,
/// indexed by time and partition.
///
/// One process at a time may open a directory for writing (an exclusive lock
/// guards it); any number may open it read-only, and in-process readers run
/// beside the writer. Every record gets a gap-free sequence number and an
/// append timestamp that never decreases.
///
/// ```swift
/// let log = try SegmentLog.open(directory: "/var/lib/app/log")
/// let at = try log.append(kind: 1, partition: "user_123", payload: Array("hello".utf8))
/// var reader = log.read(LogQuery(fromSequence: at.firstSequence))
/// while let record = try reader.next() { print(record.sequence, record.payload.count) }
/// try log.close()
/// ```
public final class SegmentLog: Sendable {
    /// The directory the log lives in.
    public let directory: String
    /// What opening the log found and did.
    public let recoveryReport: RecoveryReport
    /// True for logs opened with ``openReadOnly(directory:options:)``.
    public let isReadOnly: Bool

    let options: LogOptions
    let files: SegmentFiles
    let state: LockedValue<LogState>
    let durability: DurabilityTracker
    /// Encoders for drafts, reused.
    let drafts: EncoderPool

    struct LogState {
        var slots: [SegmentSlot]
        var lastTimestamp: Int64
        var failure: SegmentLogError?
        var closed = false
        let encoder: BatchEncoder
        var pending: [PendingRecord] = []
        /// The writer lock this log took itself; released on close. Nil for
        /// read-only logs and for logs opened under a caller's ``WriterLock``.
        var lockFile: (any LogFile)?

        var active: SegmentSlot? { slots.last.flatMap { $0.isSealed ? nil : $0 } }
        var nextSequence: UInt64 { slots.last?.index.nextSequence ?? 0 }
    }

    private init(directory: String, options: LogOptions, writable: Bool) throws(SegmentLogError) {
        self.directory = directory
        self.options = options
        self.isReadOnly = !writable
        self.files = SegmentFiles(directory: directory, fileSystem: options.fileSystem)
        guard options.segmentMaxBytes > Int64(SegmentFormat.segmentHeaderSize), options.indexIntervalBytes > 0 else {
            throw .invalidArgument("segmentMaxBytes must exceed the \(SegmentFormat.segmentHeaderSize)-byte segment header and indexIntervalBytes must be positive")
        }
        var lockFile: (any LogFile)? = nil
        if writable {
            if let held = options.writerLock {
                guard held.directory == directory else {
                    throw .invalidArgument("the writer lock given for \(directory) guards \(held.directory)")
                }
                guard held.isHeld else { throw .invalidArgument("the writer lock of \(directory) was released before the open") }
            } else {
                try options.fileSystem.createDirectory(directory)
                lockFile = try options.fileSystem.lockExclusive(directory + "/" + SegmentFormat.lockName)
            }
        }
        let (opened, report) = try LogRecovery(directory: directory, options: options, writable: writable).open()
        recoveryReport = report
        var slots = opened
        let lastTimestamp = slots.lazy.filter { !$0.index.isEmpty }.last?.index.maxTimestamp ?? .min
        if writable {
            if slots.last?.isSealed ?? true {
                // After every sequence number any file describes, including
                // records of a damaged segment that cannot be read (only
                // `.report` opens a log with damage): none is handed out twice.
                let base = slots.last?.describedEnd ?? 0
                let createdAt = options.clock.nowMicroseconds()
                let file = try files.createSegment(base: base, createdAt: createdAt)
                slots.append(SegmentSlot(path: files.segmentPath(base), file: file, index: SegmentIndex(baseSequence: base, createdAt: createdAt), isSealed: false))
            } else {
                // Whatever a previous process left unsynced is synced now, so
                // everything recovered counts as durable.
                try slots[slots.count - 1].file?.sync()
                if slots[slots.count - 1].version < SegmentFormat.version {
                    try Self.retire(olderActive: &slots, files: files, options: options)
                }
            }
        }
        let next = slots.last?.index.nextSequence ?? 0
        durability = DurabilityTracker(durableBelow: next)
        drafts = EncoderPool(limits: options.limits, acceleration: options.compressionAcceleration, reusesStream: options.reusesCompressionStream)
        state = LockedValue(LogState(slots: slots, lastTimestamp: lastTimestamp, encoder: BatchEncoder(limits: options.limits, acceleration: options.compressionAcceleration, reusesStream: options.reusesCompressionStream), lockFile: lockFile))
        if writable, case .interval(let milliseconds) = options.durability {
            startFlusher(every: max(1, milliseconds))
        }
    }

    /// Moves appends off an active segment written by an older format
    /// version (its records cannot carry what this version adds): an empty
    /// one is replaced by an empty segment of this version under the same
    /// name, a non-empty one is sealed (its index written) and followed by a
    /// new segment. Each step is atomic (temporary file, sync, rename), so a
    /// crash leaves the old segment active or the new state complete.
    private static func retire(olderActive slots: inout [SegmentSlot], files: SegmentFiles, options: LogOptions) throws(SegmentLogError) {
        let last = slots.count - 1
        var old = slots[last]
        let now = options.clock.nowMicroseconds()
        if old.index.fileVersion < SegmentFormat.version, let file = old.file {
            // Its index came from an older index file, whose block event
            // times are only bounds: scan the segment for exact ones.
            let scanner = SegmentScanner(path: old.path, limits: options.limits, indexInterval: options.indexIntervalBytes,
                                         blockStarts: Set(old.index.entries.map(\.offset)))
            let scan = try scanner.scan(file, header: SegmentHeader(baseSequence: old.index.baseSequence, createdAt: old.index.createdAt), size: old.index.length)
            if scan.damage.isEmpty, scan.tail == nil, scan.index.nextSequence == old.index.nextSequence { old.index = scan.index }
        }
        if old.index.isEmpty {
            let file = try files.createSegment(base: old.index.baseSequence, createdAt: old.index.createdAt)
            slots[last] = SegmentSlot(path: old.path, file: file, index: old.index, isSealed: false)
            return
        }
        try files.writeIndex(old.index)
        slots[last].index = old.index
        slots[last].isSealed = true
        slots[last].file = nil
        let base = old.index.nextSequence
        let file = try files.createSegment(base: base, createdAt: now)
        slots.append(SegmentSlot(path: files.segmentPath(base), file: file, index: SegmentIndex(baseSequence: base, createdAt: now), isSealed: false))
    }

    /// Opens (creating if needed) the log in `directory` for appending.
    /// Throws ``SegmentLogError/locked(path:)`` if another writer has it.
    ///
    /// - Parameters:
    ///   - directory: the log's directory; created if it does not exist.
    ///   - options: segment sizes, limits, durability policy, clock and file system.
    /// - Returns: the open log, recovered to its last complete batch.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/locked(path:)`` when another
    ///   writer holds the lock; ``SegmentLogError/invalidArgument(_:)`` for
    ///   options out of range or a ``LogOptions/writerLock`` of another directory;
    ///   ``SegmentLogError/unexpectedFile(path:reason:)`` for a file the log does not
    ///   own; ``SegmentLogError/corruption(path:offset:reason:)`` or
    ///   ``SegmentLogError/sequenceGap(path:expected:found:)`` for damage a crash
    ///   cannot explain (unless ``LogOptions/corruptionPolicy`` is
    ///   ``CorruptionPolicy/report``); ``SegmentLogError/unsupportedFormat(path:version:)`` for a
    ///   newer format; ``SegmentLogError/io(operation:path:errno:)`` when a system
    ///   call fails.
    public static func open(directory: String, options: LogOptions = LogOptions()) throws(SegmentLogError) -> SegmentLog {
        try SegmentLog(directory: directory, options: options, writable: true)
    }

    /// Opens an existing log for inspection. Takes no lock, never modifies a
    /// file, and succeeds on damaged logs, listing the damage in
    /// ``recoveryReport``.
    ///
    /// - Parameters:
    ///   - directory: the directory of an existing log.
    ///   - options: limits, clock and file system to read with.
    /// - Returns: a log that reads but never appends.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/invalidArgument(_:)`` for
    ///   options out of range; ``SegmentLogError/unexpectedFile(path:reason:)`` for
    ///   a file the log does not own; ``SegmentLogError/unsupportedFormat(path:version:)``
    ///   for a newer format; ``SegmentLogError/io(operation:path:errno:)`` when the
    ///   directory or a file cannot be read.
    public static func openReadOnly(directory: String, options: LogOptions = LogOptions()) throws(SegmentLogError) -> SegmentLog {
        try SegmentLog(directory: directory, options: options, writable: false)
    }

    // MARK: Appending

    /// Appends one record as a batch of one.
    ///
    /// - Parameters:
    ///   - kind: the record's kind, a byte the caller defines.
    ///   - partition: the record's partition key (at most 65,535 UTF-8 bytes).
    ///   - payload: the record's bytes.
    /// - Returns: the record's sequence number and append time.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/limitExceeded(what:value:limit:)`` for a partition key or
    ///   payload over the limits; ``SegmentLogError/io(operation:path:errno:)`` when
    ///   the write fails.
    @discardableResult
    public func append(kind: UInt8, partition: String, payload: [UInt8]) throws(SegmentLogError) -> AppendResult {
        try appendTyped { (batch) throws(SegmentLogError) in try batch.add(kind: kind, partition: partition, payload: payload) }
    }

    /// Appends `records` as one batch: one compression, one checksum, one write.
    ///
    /// - Parameter records: the records to append, in order.
    /// - Returns: the sequence numbers of the batch's first and last records and
    ///   its append time.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/invalidArgument(_:)`` when
    ///   `records` is empty; ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/limitExceeded(what:value:limit:)`` for a record or batch
    ///   over the limits; ``SegmentLogError/io(operation:path:errno:)`` when the
    ///   write fails.
    @discardableResult
    public func append(_ records: some Sequence<AppendRecord>) throws(SegmentLogError) -> AppendResult {
        try appendTyped { (batch) throws(SegmentLogError) in
            for record in records { try batch.add(kind: record.kind, partition: record.partition, payload: record.payload, eventTime: record.eventTime) }
        }
    }

    private func appendTyped(_ build: (inout BatchBuilder) throws(SegmentLogError) -> Void) throws(SegmentLogError) -> AppendResult {
        do {
            return try appendBatch(build)
        } catch let error as SegmentLogError {
            throw error
        } catch {
            preconditionFailure("a typed builder threw \(error)")
        }
    }

    /// Appends the records that `build` adds as one batch, encoding them
    /// straight into the log's reusable buffer (no per-record allocation).
    ///
    /// `build` runs while the log's write lock is held: it must not call back
    /// into this log.
    ///
    /// Throws what `build` throws, or a ``SegmentLogError``; nothing is
    /// appended unless `build` returns normally.
    ///
    /// - Parameter build: adds the batch's records through the ``BatchBuilder``.
    /// - Returns: the sequence numbers of the batch's first and last records and
    ///   its append time.
    /// - Throws: any error `build` throws; otherwise ``SegmentLogError``:
    ///   ``SegmentLogError/invalidArgument(_:)`` when `build` adds no record;
    ///   ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/limitExceeded(what:value:limit:)`` for a record or batch
    ///   over the limits; ``SegmentLogError/io(operation:path:errno:)`` when the
    ///   write fails.
    @discardableResult
    public func appendBatch(_ build: (inout BatchBuilder) throws -> Void) throws -> AppendResult {
        let result = try state.withLock { (state) throws -> AppendResult in
            try writable(state)
            state.encoder.reset()
            state.pending.removeAll(keepingCapacity: true)
            let now = options.clock.nowMicroseconds()
            var builder = BatchBuilder(encoder: state.encoder, pending: state.pending,
                                       firstSequence: state.nextSequence, timestamp: max(now, state.lastTimestamp))
            state.pending = []
            defer { state.pending = builder.pending }
            try build(&builder)
            guard builder.encoder.recordCount > 0 else { throw SegmentLogError.invalidArgument("an append needs at least one record") }
            let result = try write(&state, encoder: builder.encoder, pending: builder.pending, timestamp: builder.timestamp, now: now)
            precondition(result.firstSequence == builder.firstSequence, "sealing moved the batch's first sequence")
            return result
        }
        if options.durability == .always {
            try waitUntilDurable(through: result.lastSequence)
        }
        return result
    }

    /// Makes an empty draft for ``append(_:at:)`` (drafts reuse the log's
    /// encoding buffers once dropped).
    public func makeDraft() -> BatchDraft {
        BatchDraft(encoder: drafts.take(), pool: drafts)
    }

    /// Appends a draft's records as one batch and empties the draft.
    ///
    /// Only the header, checksum, write and index update happen under the
    /// log's lock; the draft is compressed first if ``BatchDraft/compress()``
    /// has not run (call it beforehand to keep that out of your own lock too).
    ///
    /// - Parameters:
    ///   - draft: records made by ``makeDraft()``; empty again on return.
    ///   - timestamp: the append time to stamp, when the caller has
    ///     read the clock already (see ``lastAppendTime``); the log still
    ///     never stamps earlier than its last batch. Nil reads the clock.
    ///
    /// - Returns: the sequence numbers of the batch's first and last records and
    ///   its append time.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/invalidArgument(_:)`` when
    ///   the draft is empty; ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/io(operation:path:errno:)`` when the write fails (the
    ///   draft then keeps its records).
    @discardableResult
    public func append(_ draft: BatchDraft, at timestamp: Int64? = nil) throws(SegmentLogError) -> AppendResult {
        guard draft.count > 0 else { throw .invalidArgument("an append needs at least one record") }
        draft.compress()
        let result = try state.withLock { (state) throws(SegmentLogError) -> AppendResult in
            try writable(state)
            let now = options.clock.nowMicroseconds()
            let stamp = max(timestamp ?? now, state.lastTimestamp)
            return try write(&state, encoder: draft.encoder, pending: draft.pending, timestamp: stamp, now: now)
        }
        draft.removeAll()
        if options.durability == .always {
            try waitUntilDurable(through: result.lastSequence)
        }
        return result
    }

    /// The append time of the newest batch (nil while the log is empty):
    /// the next batch is stamped no earlier.
    public var lastAppendTime: Int64? {
        state.withLock { $0.lastTimestamp == .min ? nil : $0.lastTimestamp }
    }

    func writable(_ state: LogState) throws(SegmentLogError) {
        if isReadOnly { throw .readOnly(path: directory) }
        if state.closed { throw .closed(path: directory) }
        if let failure = state.failure { throw failure }
    }

    /// Frames `encoder`'s records and writes them to the active segment,
    /// sealing it first when the batch would overflow it or it is too old.
    func write(_ state: inout LogState, encoder: BatchEncoder, pending: [PendingRecord], timestamp: Int64,
                       now: Int64) throws(SegmentLogError) -> AppendResult {
        if let active = state.active, !active.index.isEmpty {
            let estimate = Int64(encoder.framedBound)
            if active.index.length + estimate > options.segmentMaxBytes || timestamp - active.index.minTimestamp >= options.segmentMaxAge {
                try seal(&state, now: now)
            }
        }
        let position = state.slots.count - 1
        let first = state.slots[position].index.nextSequence
        let offset = state.slots[position].index.length
        let bytes = encoder.finish(firstSequence: first, timestamp: timestamp)
        guard let file = state.slots[position].file else { preconditionFailure("the active segment has no open file") }
        KillPoint.hit("append.before-write")
        do {
            try file.write(bytes, at: offset)
            KillPoint.hit("append.after-write")
            startWriteback(of: file, written: offset..<offset + Int64(bytes.count))
        } catch {
            // Cut off whatever part of the batch reached the file, so nothing
            // half-written can be read; if even that fails, stop writing.
            do {
                try file.truncate(to: offset)
            } catch {
                state.failure = error
            }
            throw error
        }
        guard let header = BatchHeader.decode(bytes) else { preconditionFailure("encoder produced a batch without a header") }
        let block = state.slots[position].index.addBatch(at: offset, header: header, interval: options.indexIntervalBytes)
        state.slots[position].index.addRecords(pending, block: block, appendTime: timestamp)
        state.lastTimestamp = timestamp
        if LostWriteSignature.holdsZeroRun(bytes) {
            // Past the durable point, such a batch damaged by bit rot would
            // look like a lost write and be cut with everything after it
            // (docs/format.md, "Recovery rules"): make it durable now.
            _ = try makeActiveDurable(&state)
        }
        return AppendResult(firstSequence: first, lastSequence: header.lastSequence, timestamp: timestamp)
    }

    /// Hints the kernel to write out every whole `writebackIntervalBytes`
    /// chunk of the segment that `written` completed, so that sealing finds
    /// at most one chunk still dirty.
    private func startWriteback(of file: any LogFile, written: Range<Int64>) {
        let chunk = options.writebackIntervalBytes
        guard chunk > 0 else { return }
        let from = written.lowerBound / chunk * chunk, to = written.upperBound / chunk * chunk
        if to > from { file.startWriteback(offset: from, length: to - from) }
    }

    /// Syncs `file` under the log's lock; a failure is never retried and
    /// stops the log (the kernel may have dropped the pages it failed to write).
    private func syncOrStop(_ state: inout LogState, _ file: any LogFile, path: String) throws(SegmentLogError) {
        do {
            try file.sync()
        } catch {
            let lost = SegmentLogError.durabilityLost(path: path, errno: Self.errno(of: error))
            state.failure = lost
            durability.fail(lost)
            throw lost
        }
    }

    /// Seals the active segment (sync, index file) and starts a new one.
    private func seal(_ state: inout LogState, now: Int64) throws(SegmentLogError) {
        let position = state.slots.count - 1
        let sealing = state.slots[position]
        KillPoint.hit("seal.before-sync")
        if let file = sealing.file { try syncOrStop(&state, file, path: sealing.path) }
        KillPoint.hit("seal.after-sync")
        durability.markDurable(below: sealing.index.nextSequence)
        let base = sealing.index.nextSequence
        let file: any LogFile
        do {
            try files.writeIndex(sealing.index)
            file = try files.createSegment(base: base, createdAt: now)
        } catch {
            // A failed write (say ENOSPC) leaves the old segment active and the
            // log usable; a failed sync does not.
            if case .durabilityLost = error {
                state.failure = error
                durability.fail(error)
            }
            throw error
        }
        state.slots[position].isSealed = true
        state.slots[position].file = nil
        state.slots.append(SegmentSlot(path: files.segmentPath(base), file: file, index: SegmentIndex(baseSequence: base, createdAt: now), isSealed: false))
    }

    /// Seals the active segment now if it holds records.
    ///
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/durabilityLost(path:errno:)`` when syncing the segment
    ///   fails; ``SegmentLogError/io(operation:path:errno:)`` when writing the index
    ///   or creating the next segment fails.
    public func rotate() throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try writable(state)
            if let active = state.active, !active.index.isEmpty {
                try seal(&state, now: options.clock.nowMicroseconds())
            }
        }
    }

    /// Seals the active segment if it has reached its maximum age; for
    /// callers that want age-based rotation while no appends arrive.
    ///
    /// - Throws: ``SegmentLogError``, as ``rotate()`` does.
    public func rotateIfDue() throws(SegmentLogError) {
        try state.withLock { (state) throws(SegmentLogError) in
            try writable(state)
            let now = options.clock.nowMicroseconds()
            if let active = state.active, !active.index.isEmpty, now - active.index.minTimestamp >= options.segmentMaxAge {
                try seal(&state, now: now)
            }
        }
    }

    // MARK: Durability

    /// Syncs everything appended so far.
    ///
    /// - Throws: ``SegmentLogError``, as ``waitUntilDurable(through:)`` does.
    public func sync() throws(SegmentLogError) {
        let next = state.withLock { $0.nextSequence }
        if next > 0 { try waitUntilDurable(through: next - 1) }
    }

    /// Returns once `sequence` is on stable storage. Under `.interval` it waits
    /// for the flusher; otherwise it syncs, sharing the fsync with concurrent callers.
    ///
    /// - Parameter sequence: the sequence number that must be durable.
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/durabilityLost(path:errno:)``
    ///   when a sync fails (the log then stops accepting writes), the failure that
    ///   stopped the log earlier, or ``SegmentLogError/invalidArgument(_:)`` when
    ///   the log closes before `sequence` is synced.
    public func waitUntilDurable(through sequence: UInt64) throws(SegmentLogError) {
        let lead: Bool
        if case .interval = options.durability { lead = false } else { lead = true }
        try durability.wait(through: sequence, lead: lead, sync: syncActive)
    }

    /// The bound below which every sequence number is known to be durable.
    public var durableSequenceBound: UInt64 { durability.durableSequenceBound }

    private func syncActive() throws(SegmentLogError) -> UInt64 {
        let (file, bound, path) = state.withLock { ($0.active?.file, $0.nextSequence, $0.slots.last?.path ?? directory) }
        guard let file else { return bound }
        KillPoint.hit("sync.before")
        do {
            try file.sync()
            KillPoint.hit("sync.after")
        } catch {
            // Never retried: the kernel may have dropped the pages it failed to write.
            let lost = SegmentLogError.durabilityLost(path: path, errno: Self.errno(of: error))
            state.withLock { $0.failure = $0.failure ?? lost }
            throw lost
        }
        return bound
    }

    private func startFlusher(every milliseconds: Int) {
        let tracker = durability
        startThread { [weak self] in
            while tracker.pause(milliseconds: milliseconds) {
                guard let log = self else { return }
                tracker.syncIfIdle(log.syncActive)
            }
        }
    }

    static func errno(of error: SegmentLogError) -> Int32 {
        if case .io(_, _, let code) = error { return code }
        return 0
    }

    /// For a read-only log: catches up with what a live writer has appended
    /// since the log was opened or last refreshed (complete batches only).
    /// Readers made afterwards see the new records; `signallog cat --follow`
    /// calls this in a loop.
    ///
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/io(operation:path:errno:)``
    ///   when the directory or a segment cannot be read,
    ///   ``SegmentLogError/unexpectedFile(path:reason:)`` for a file the log does
    ///   not own, ``SegmentLogError/unsupportedFormat(path:version:)`` for a newer
    ///   format. A writable log returns at once.
    public func refresh() throws(SegmentLogError) {
        guard isReadOnly else { return }
        let slots = state.withLock { $0.slots }
        let refreshed = try LogRecovery(directory: directory, options: options, writable: false).refresh(slots)
        state.withLock { $0.slots = refreshed }
    }

    /// Records a durable point for the active segment without closing the
    /// log: syncs the segment, then writes its index file for the records
    /// appended so far — the same index a clean close writes.
    ///
    /// Recovery may cut unreadable bytes at the end of the active segment as
    /// the torn tail of a crash only when they lie after the last durable
    /// point the log knows of; bytes before it that fail their checks, or a
    /// segment file shorter than it, are corruption (docs/format.md,
    /// "Recovery rules"). Call it when the layer above commits to having
    /// processed everything up to here, for example when it writes a
    /// checkpoint: damage to those records can then never pass for a crash.
    ///
    /// Appends wait while it runs (it holds the write lock across the sync
    /// and the index write). A failed sync stops the log, as in
    /// ``waitUntilDurable(through:)``.
    ///
    /// - Returns: the bound below which every sequence number is now durable
    ///   and recorded.
    ///
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/readOnly(path:)`` on a log opened read-only,
    ///   ``SegmentLogError/closed(path:)`` after ``close()``, or the failure that
    ///   stopped the log (such as ``SegmentLogError/durabilityLost(path:errno:)``);
    ///   ``SegmentLogError/durabilityLost(path:errno:)`` when the sync fails;
    ///   ``SegmentLogError/io(operation:path:errno:)`` when the index write fails.
    @discardableResult
    public func markDurable() throws(SegmentLogError) -> UInt64 {
        try state.withLock { (state) throws(SegmentLogError) -> UInt64 in
            try writable(state)
            return try makeActiveDurable(&state)
        }
    }

    /// Syncs the active segment and writes its index, the durable point
    /// (``markDurable()`` with the lock held).
    private func makeActiveDurable(_ state: inout LogState) throws(SegmentLogError) -> UInt64 {
        guard let active = state.active, let file = active.file, !active.index.isEmpty else { return state.nextSequence }
        try syncOrStop(&state, file, path: active.path)
        durability.markDurable(below: active.index.nextSequence)
        do throws(SegmentLogError) {
            try files.writeIndex(active.index)
        } catch {
            if case .durabilityLost = error {
                state.failure = error
                durability.fail(error)
            }
            throw error
        }
        return active.index.nextSequence
    }

    // MARK: State

    /// The sequence number the next appended record will get.
    public var nextSequence: UInt64 { state.withLock { $0.nextSequence } }

    /// The oldest sequence number still in the log (retention removes older ones).
    public var firstSequence: UInt64 { state.withLock { $0.slots.first?.index.baseSequence ?? 0 } }

    /// The segments, oldest first; the last is the active one unless read-only.
    public func segments() -> [SegmentInfo] { state.withLock { $0.slots.map(SegmentInfo.init) } }

    /// Syncs (per the durability policy), releases the lock and closes the
    /// files. Further calls on the log throw ``SegmentLogError/closed(path:)``.
    ///
    /// A second call returns at once.
    ///
    /// - Throws: ``SegmentLogError``: ``SegmentLogError/durabilityLost(path:errno:)``
    ///   when the final sync fails; ``SegmentLogError/io(operation:path:errno:)``
    ///   when writing the active segment's index fails. The log is closed either way.
    public func close() throws(SegmentLogError) {
        let alreadyClosed = state.withLock { (state) -> Bool in
            defer { state.closed = true }
            return state.closed
        }
        if alreadyClosed { return }
        defer {
            durability.stop()
            state.withLock {
                $0.slots.removeAll()
                $0.lockFile = nil
            }
        }
        if !isReadOnly, state.withLock({ $0.failure == nil }) {
            _ = try syncActive()
            // An index of the active segment lets the next open skip scanning
            // it; appends after the reopen extend past it and are scanned.
            if let active = state.withLock({ $0.active }), !active.index.isEmpty {
                try files.writeIndex(active.index)
            }
        }
    }

    deinit { durability.stop() }
}

/// Adds records to the batch being built by ``SegmentLog/appendBatch(_:)``.
public struct BatchBuilder {
    let encoder: BatchEncoder
    var pending: [PendingRecord]
    /// The sequence the first record of this batch gets: a caller can name
    /// its records' sequences while it builds (they hold if the append succeeds).
    public let firstSequence: UInt64
    /// The append time every record of this batch carries, microseconds.
    public let timestamp: Int64

    /// Adds a record; its payload bytes are copied into the batch at once.
    /// `eventTime` is when the record's event happened, if known (see
    /// ``LogRecord/eventTime``).
    ///
    /// - Parameters:
    ///   - kind: the record's kind, a byte the caller defines.
    ///   - partition: the record's partition key (at most 65,535 UTF-8 bytes).
    ///   - payload: the record's bytes, copied before the call returns.
    ///   - eventTime: when the record's event happened, microseconds; nil if unknown.
    /// - Throws: ``SegmentLogError/limitExceeded(what:value:limit:)`` when the
    ///   partition key, the payload or the batch so far exceeds the log's limits.
    public mutating func add(kind: UInt8, partition: String, payload: UnsafeRawBufferPointer, eventTime: Int64? = nil) throws(SegmentLogError) {
        pending.append(try encoder.add(kind: kind, partition: partition, payload: payload, eventTime: eventTime))
    }

    /// Adds a record whose payload is an array.
    ///
    /// - Parameters:
    ///   - kind: the record's kind, a byte the caller defines.
    ///   - partition: the record's partition key (at most 65,535 UTF-8 bytes).
    ///   - payload: the record's bytes, copied before the call returns.
    ///   - eventTime: when the record's event happened, microseconds; nil if unknown.
    /// - Throws: ``SegmentLogError/limitExceeded(what:value:limit:)`` when the
    ///   partition key, the payload or the batch so far exceeds the log's limits.
    public mutating func add(kind: UInt8, partition: String, payload: [UInt8], eventTime: Int64? = nil) throws(SegmentLogError) {
        try payload.withBytes { (bytes) throws(SegmentLogError) in try add(kind: kind, partition: partition, payload: bytes, eventTime: eventTime) }
    }

    /// Records added so far.
    public var count: Int { encoder.recordCount }
}
