import DequeModule
import Logging
import Metrics
import SegmentLog
import ServiceLifecycle
import Synchronization
import Tracing

/// Errors of node operations other than refusals (which are results).
/// Failures of the log itself reach the caller as `SegmentLogError`; reads
/// that had to pass over damage say so with ``storage(_:)``.
public enum SignalNodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No dead letter with this signal id.
    case deadLetterNotFound(String)
    /// The dead letter is being reprocessed by another caller.
    case deadLetterBusy(String)
    /// The node has been shut down.
    case closed
    /// The log could not be read or written as asked (the text says what
    /// and where; ``SignalNode/attempts(of:partition:)`` uses it for a read
    /// that passed over damage).
    case storage(String)
    /// A record in the log could not be decoded.
    case badRecord(sequence: UInt64, reason: String)

    public var description: String {
        switch self {
        case .deadLetterNotFound(let id): return "no dead letter with signal id \(id)"
        case .deadLetterBusy(let id): return "dead letter \(id) is being reprocessed"
        case .closed: return "the node has been shut down"
        case .storage(let text): return "storage error: \(text)"
        case let .badRecord(sequence, reason): return "record \(sequence) is unreadable: \(reason)"
        }
    }
}

/// A signal-processing node on one log directory: it accepts signals
/// (deduplicated, admitted by the circuit breaker and its queue capacity),
/// writes each as a record (the acknowledgement), processes each partition
/// strictly in order with the handler registered for the signal's type, and
/// records every attempt, dead letter and resolution in the log, from which
/// it rebuilds its state at open.
///
/// ```swift
/// let node = try SignalNode.open(nodeID: "node-1", directory: "/var/lib/app/signals",
///                                handlers: ["alert": { signal in print(signal.content) }])
/// _ = try node.receive(Signal("disk full", type: "alert", urgency: 0.9, sourceID: "host-7"))
/// _ = await node.gracefulShutdown(timeout: .seconds(5))
/// ```
public final class SignalNode: Sendable, SignalTarget, Service {
    public let nodeID: String
    public let directory: String
    public let options: SignalNodeOptions
    /// The node's log (read it with `SegmentLog.read(_:)`; do not append to it).
    public let log: SegmentLog
    /// What rebuilding the projections at open read.
    public let startup: StartupReport
    let breaker: CircuitBreaker
    let handlers: LockedValue<[String: SignalHandler]>
    /// Acceptance, the dead letter queue, totals and every log append
    /// (held across each append, so the log's order and the projections agree).
    let state: LockedValue<NodeState>
    /// The partition queues and their workers, apart from `state` so workers
    /// take their next signals while an append holds `state`. Lock order:
    /// `state`, then `work`, then a ``WorkerOutcomes``.
    let work: LockedValue<WorkState>
    let metrics: NodeMetrics
    let flow = LockedValue(FlowState())
    /// Callers awaiting outcomes or idleness (see ``outcome(of:)``). Lock
    /// order: `state`, then `work`, then this.
    let waiters: LockedValue<OutcomeWaiters>
    /// Woken when shutdown stops the workers, so a retry backoff asleep on
    /// the clock ends at once.
    let stopSignal = StopSignal()
    /// Partitions whose outcomes wait for the next outcome write.
    let outbox = LockedValue(Outbox())
    /// Held by the one outcome write under way (see ``writeOutbox(unlessBusy:)``),
    /// and by shutdown while it writes the last outcomes. Lock order: this,
    /// then `state`.
    let outcomeWriting = LockedValue(())
    /// Set when shutdown stops the workers (checked between signals without the lock).
    let stopRequested = Atomic<Bool>(false)
    /// Set by the first ``outcome(of:)``: from then on outcome writes
    /// collect each finished signal's outcome (read under the work lock).
    let outcomeTracking = Atomic<Bool>(false)
    /// Mirrors `work.paused`, checked between signals without the lock.
    let pauseRequested = Atomic<Bool>(false)
    /// Times ``run()`` has started waiting with its shutdown handlers installed.
    let serviceRuns = Atomic<Int>(0)
    let ttl: Int64
    /// The hash seed of the dedupe store's keys (its snapshot's, when one was used).
    let dedupeSeed: UInt64
    let dedupeSource: DedupeRecordSource
    let dedupeDroppedEarly: Counter
    var clock: any LogClock { options.clock }
    var logger: Logger { options.logger }

    enum Phase { case running, draining, closed }

    struct NodeState {
        var dedupe: DedupeSet
        var deadLetters: [String: DeadLetter]
        var totals: SignalTotals
        var phase: Phase = .running
        var recordsSinceCheckpoint = 0
        var reprocessing: Set<String> = []
        var throughput = ThroughputWindow()
        var writer = ByteWriter(capacity: 1024)
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var drained: Bool?
        var deadLetterWarningArmed = true
    }

    struct WorkState {
        var queues: PartitionQueues
        /// Workers take no new signals (set by shutdown before it closes the log).
        var stopping = false
        /// Workers take no new signals until ``SignalNode/resume()``.
        var paused = false
        var activeWorkers = 0
        /// Each partition's finished-but-unwritten outcomes (written by
        /// ``writeOutbox(unlessBusy:)``; shutdown writes what is left).
        var outcomes: [HashedString: WorkerOutcomes] = [:]

        /// Forgets a partition with no pending signals and no worker, and
        /// its (written) outcomes.
        mutating func forgetIfIdle(_ key: HashedString) {
            if let queue = queues.partitions[key] {
                guard queue.items.isEmpty, queue.cursor.count == 0, !queue.running else { return }
                queues.partitions.removeValue(forKey: key)
            }
            outcomes.removeValue(forKey: key)
        }
    }

    struct Outbox {
        var ready: [WorkerOutcomes] = []
        /// A writer task is lingering (see ``post(_:write:)``).
        var writerScheduled = false
    }

    struct FlowState {
        var warned: [String: Bool] = [:]
        var warnings = 0
    }

    private init(nodeID: String, directory: String, options: SignalNodeOptions, handlers: [String: SignalHandler]) throws {
        self.nodeID = nodeID
        self.directory = directory
        self.options = options
        var logOptions = options.log
        logOptions.clock = options.clock
        let log = try SegmentLog.open(directory: directory, options: logOptions)
        self.log = log
        ttl = micros(options.dedupeTTL)
        breaker = CircuitBreaker(configuration: options.circuitBreaker, clock: options.clock)
        self.handlers = LockedValue(handlers)
        waiters = LockedValue(OutcomeWaiters(remembered: min(max(options.queueCapacity, 4096), 1 << 16)))
        let factory = options.metricsFactory ?? MetricsSystem.factory
        metrics = NodeMetrics(nodeID: nodeID, factory: factory)
        let source = DedupeRecordSource(log: log, logger: options.logger)
        dedupeSource = source
        let dropped = Counter(label: "signallog_dedupe_keys_dropped_early_total", dimensions: [("node", nodeID)], factory: factory)
        dedupeDroppedEarly = dropped
        var dedupe = DedupeSet(ttl: ttl, maxKeys: options.dedupeMaxKeys)
        dedupe.source = source
        dedupe.onEarlyDrop = { [logger = options.logger, limit = options.dedupeMaxKeys] keys, newest in
            dropped.increment(by: Int64(keys))
            logger.warning("dedupe store full: keys accepted up to this time are dropped before their TTL, and duplicates of them are accepted as new",
                           metadata: ["keys": "\(keys)", "newest_dropped_acceptance_us": "\(newest)", "dedupe_max_keys": "\(limit)"])
        }
        let rebuilt: (Projections, StartupReport)
        do {
            rebuilt = try Startup.rebuild(log: log, now: options.clock.nowMicroseconds(), ttl: ttl, dedupe: dedupe)
        } catch {
            try? log.close()
            throw error
        }
        startup = rebuilt.1
        var projections = rebuilt.0
        dedupeSeed = projections.dedupe.seed
        switch startup.dedupeSnapshotProblem {
        case nil, .missing?: break
        case let problem?:
            options.logger.warning("dedupe snapshot not used; the dedupe window was rebuilt from the log", metadata: ["reason": "\(problem)"])
        }
        projections.queues.window = options.memoryWindow
        state = LockedValue(NodeState(dedupe: projections.dedupe, deadLetters: projections.deadLetters, totals: projections.totals))
        work = LockedValue(WorkState(queues: projections.queues))
    }

    /// Opens (creating if needed) the node's log, rebuilds its projections
    /// and resumes processing of signals accepted but not finished before
    /// (unless ``SignalNodeOptions/processing`` is off).
    /// Register every handler here so resumed work finds its handler.
    ///
    /// - Parameters:
    ///   - nodeID: the node's id, written into the records it makes.
    ///   - directory: the log's directory.
    ///   - options: the node's settings, including the log's.
    ///   - handlers: the handler for each signal type.
    /// - Returns: the running node.
    /// - Throws: `SegmentLogError` when the log cannot be opened (`.locked(path:)`
    ///   when another writer holds it, `.corruption(path:offset:reason:)`,
    ///   `.io(operation:path:errno:)` and the other cases of `SegmentLog.open`), or
    ///   ``SignalNodeError/badRecord(sequence:reason:)`` when rebuilding meets a
    ///   record that cannot be decoded. The log is closed again when opening fails.
    public static func open(nodeID: String, directory: String, options: SignalNodeOptions = SignalNodeOptions(),
                            handlers: [String: SignalHandler] = [:]) throws -> SignalNode {
        let node = try SignalNode(nodeID: nodeID, directory: directory, options: options, handlers: handlers)
        guard options.processing else {
            node.updateGauges()
            return node
        }
        let keys = node.work.withLock { work -> [HashedString] in
            var keys: [HashedString] = []
            for (key, queue) in work.queues.partitions where !queue.items.isEmpty {
                work.queues.partitions[key]!.running = true
                keys.append(key)
            }
            return keys.sorted { $0.text < $1.text }
        }
        node.startWorkers(keys)
        node.scheduleRefill()
        node.updateGauges()
        return node
    }

    /// Opens a node whose id is a number, as the original system's nodes
    /// are: the id is its decimal text (see ``open(nodeID:directory:options:handlers:)``).
    ///
    /// - Parameters:
    ///   - number: the node's id, as a number.
    ///   - directory: the log's directory.
    ///   - options: the node's settings, including the log's.
    ///   - handlers: the handler for each signal type.
    /// - Returns: the running node.
    /// - Throws: `SegmentLogError` when the log cannot be opened (`.locked(path:)`
    ///   when another writer holds it, `.corruption(path:offset:reason:)`,
    ///   `.io(operation:path:errno:)` and the other cases of `SegmentLog.open`), or
    ///   ``SignalNodeError/badRecord(sequence:reason:)`` when rebuilding meets a
    ///   record that cannot be decoded. The log is closed again when opening fails.
    public static func open(nodeID number: Int, directory: String, options: SignalNodeOptions = SignalNodeOptions(),
                            handlers: [String: SignalHandler] = [:]) throws -> SignalNode {
        try open(nodeID: String(number), directory: directory, options: options, handlers: handlers)
    }

    /// Registers (or replaces) the handler for a signal type.
    ///
    /// - Parameters:
    ///   - type: the signal type the handler processes.
    ///   - handler: the handler, run for each signal of `type`.
    public func register(type: String, handler: @escaping SignalHandler) {
        handlers.withLock { $0[type] = handler }
    }

    // MARK: Flow control

    /// Accepted-but-unfinished signals, in memory and left in the log.
    public var queueDepth: Int { work.withLock { $0.queues.depth } }
    public var queueCapacity: Int { options.queueCapacity }

    /// Sends `signal` to each target, checking the target's queue against
    /// its capacity first: at the warning threshold (80 %) the sender warns
    /// once per crossing (the warning re-arms below 80 % − hysteresis), at the
    /// refusal threshold (95 %) it refuses that target, and it sends again
    /// once the target has drained. The report says what happened per target.
    ///
    /// - Parameters:
    ///   - signal: the signal to send.
    ///   - targets: the nodes to send it to.
    /// - Returns: what happened at each target.
    public func send(_ signal: Signal, to targets: [any SignalTarget]) -> SendReport {
        var outcomes: [SendReport.TargetOutcome] = []
        let thresholds = options.flowControl
        for target in targets {
            let depth = target.queueDepth
            let capacity = max(1, target.queueCapacity)
            let pressure = Backpressure(depth: depth, capacity: capacity)
            let fill = pressure.fill
            let warn = flow.withLock { flow -> Bool in
                if fill < thresholds.warning - thresholds.hysteresis { flow.warned[target.nodeID] = false }
                if fill >= thresholds.warning, flow.warned[target.nodeID] != true {
                    flow.warned[target.nodeID] = true
                    flow.warnings += 1
                    return true
                }
                return false
            }
            if warn {
                logger.warning("target queue filling up", metadata: ["target": "\(target.nodeID)", "depth": "\(depth)", "capacity": "\(capacity)"])
                metrics.flowWarnings.increment()
            }
            let warning = warn ? pressure : nil
            if fill >= thresholds.refusal {
                metrics.flowRefusals.increment()
                outcomes.append(.init(target: target.nodeID, outcome: .refused(pressure), warning: warning))
                continue
            }
            do {
                outcomes.append(.init(target: target.nodeID, outcome: .delivered(try target.receive(signal)), warning: warning))
            } catch {
                outcomes.append(.init(target: target.nodeID, outcome: .failed("\(error)"), warning: warning))
            }
        }
        return SendReport(outcomes: outcomes)
    }

    /// Flow-control warnings this node has emitted as a sender.
    public var flowWarningCount: Int { flow.withLock { $0.warnings } }

    // MARK: Metrics

    /// Queue depth, ages, throughput, error rate, DLQ size, duplicates and
    /// breaker state, now. Also refreshes the swift-metrics gauges.
    public func queueMetrics() -> QueueMetrics {
        let breakerState = breaker.currentState
        let value = state.withLock { state -> QueueMetrics in
            let now = clock.nowMicroseconds()
            let queues = work.withLock { $0.queues }
            var byPartition: [String: Int] = [:]
            var oldest = Int64.max
            for (key, queue) in queues.partitions where queue.pending > 0 {
                byPartition[key.text] = queue.pending
                if let head = queue.items.first { oldest = min(oldest, head.acceptedAt) }
            }
            let depth = queues.depth
            // Ages cover the signals held in memory: the heads of the
            // partitions, the oldest work (the rest is read back later).
            let held = queues.inMemory
            let maxAge = held == 0 || oldest == .max ? 0 : Double(max(0, now - oldest)) / 1e6
            let meanAge = held == 0 ? 0 : max(0, Double(now) - queues.acceptedAtSum / Double(held)) / 1e6
            let totals = state.totals
            return QueueMetrics(
                queueDepth: depth, queueCapacity: options.queueCapacity, depthByPartition: byPartition,
                maxMessageAge: maxAge, meanMessageAge: meanAge, throughputPerSecond: state.throughput.rate(at: now),
                errorRate: totals.errorRate, errorCount: totals.errors, errorsByCause: totals.errorsByCause,
                deadLetterCount: state.deadLetters.count, duplicateCount: totals.duplicates,
                circuitState: breakerState, totals: totals)
        }
        metrics.queueDepth.record(value.queueDepth)
        metrics.deadLetterQueueSize.record(value.deadLetterCount)
        metrics.circuitState.record(breakerState.gaugeValue)
        metrics.maxAge.record(value.maxMessageAge)
        metrics.meanAge.record(value.meanMessageAge)
        metrics.throughput.record(value.throughputPerSecond)
        metrics.errorRate.record(value.errorRate)
        return value
    }

    /// The circuit breaker's state now.
    public var circuitState: CircuitState { breaker.currentState }

    func updateGauges() {
        let dead = state.withLock { $0.deadLetters.count }
        let depth = queueDepth
        metrics.queueDepth.record(depth)
        metrics.deadLetterQueueSize.record(dead)
        metrics.circuitState.record(breaker.currentState.gaugeValue)
    }

    /// The projections in comparable form (tests, docs/reliability-tests.md #17).
    func projectionSnapshot() -> ProjectionSnapshot {
        state.withLock { state in
            let projections = Projections(queues: work.withLock { $0.queues }, dedupe: state.dedupe, deadLetters: state.deadLetters, totals: state.totals)
            return projections.snapshot(now: clock.nowMicroseconds(), ttl: ttl, log: log)
        }
    }

    // MARK: Writing records

    enum OutRecord {
        case signal(Signal, carriedFrom: UInt64?)
        case attempt(ProcessingAttempt, partition: String)
        case move(DeadLetterMoveRecord, partition: String)
        case resolve(DeadLetterResolveRecord, partition: String)
        case marker(MarkerRecord)
    }

    /// Appends `records` as one batch. Call with the state lock held: every
    /// append of the node happens under it, so projections and the log's
    /// order always agree (checkpoints depend on it).
    func append(_ records: some Sequence<OutRecord>, writer: inout ByteWriter) throws -> AppendResult {
        try log.appendBatch { batch in
            for record in records {
                let (kind, partition) = Self.encode(record, into: &writer)
                // A signal's own timestamp is its event time (event-time replay and `cat --by event`).
                var eventTime: Int64? = nil
                if case .signal(let signal, _) = record { eventTime = signal.createdAt }
                try batch.add(kind: kind.rawValue, partition: partition, payload: writer.bytes, eventTime: eventTime)
            }
        }
    }

    /// Encodes `record`'s payload into `writer` (emptied first) and returns
    /// its kind and partition.
    static func encode(_ record: OutRecord, into writer: inout ByteWriter) -> (SignalRecordKind, String) {
        writer.bytes.removeAll(keepingCapacity: true)
        switch record {
        case let .signal(signal, carriedFrom):
            SignalRecord.encode(signal, carriedFrom: carriedFrom, into: &writer)
            return (.signal, signal.partitionKey)
        case let .attempt(attempt, key):
            AttemptRecord.encode(attempt, into: &writer)
            return (.attempt, key)
        case let .move(move, key):
            writer.bytes.append(contentsOf: move.encode())
            return (.deadLetterMove, key)
        case let .resolve(resolve, key):
            writer.bytes.append(contentsOf: resolve.encode())
            return (.deadLetterResolve, key)
        case let .marker(marker):
            writer.bytes.append(contentsOf: marker.encode())
            return (.marker, "")
        }
    }

    func makeMarker(_ state: NodeState, type: MarkerRecord.MarkerType) -> MarkerRecord {
        let next = log.nextSequence
        let refs = state.deadLetters.values.sorted { $0.sequence < $1.sequence }.map { entry in
            MarkerRecord.DeadLetterRef(signalID: entry.signal.id, signalSequence: entry.sequence, reason: entry.reason, time: entry.time,
                                       retryCount: entry.signal.retryCount, nodeID: entry.nodeID, error: entry.error)
        }
        let (resume, pending) = work.withLock { ($0.queues.resumeSequence(default: next), $0.queues.checkpointEntries()) }
        return MarkerRecord(type: type, time: clock.nowMicroseconds(), nodeID: nodeID, lowWaterSequence: resume,
                            totals: state.totals, deadLetters: refs, pending: pending)
    }

    func maybeCheckpoint(_ state: inout NodeState) {
        guard state.recordsSinceCheckpoint >= options.checkpointInterval else { return }
        writeCheckpoint(&state, type: .checkpoint)
    }

    @discardableResult
    func writeCheckpoint(_ state: inout NodeState, type: MarkerRecord.MarkerType) -> Bool {
        let marker = makeMarker(state, type: type)
        do {
            let written = try append([.marker(marker)], writer: &state.writer)
            state.recordsSinceCheckpoint = 0
            saveDedupe(&state, marker: written.firstSequence, time: marker.time, closing: type == .cleanShutdown)
            // Where the log is synced anyway, a checkpoint is also a durable
            // point: damage before it can never pass for a crash's torn tail
            // (docs/signals.md). Under `.os` nothing is synced, by choice.
            if type == .checkpoint && options.log.durability != .os {
                try log.markDurable()
            }
            return true
        } catch {
            logger.error("could not write a checkpoint marker", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Writes a checkpoint marker now (startup reads from the newest one) and
    /// makes it a durable point: the log is synced through it and its active
    /// segment's index recorded, so damage to anything before it is reported
    /// as corruption, never cut as a torn tail.
    ///
    /// - Throws: ``SignalNodeError/closed`` once the node is shut down;
    ///   `SegmentLogError` when the marker cannot be appended or the log cannot be
    ///   synced (`.io(operation:path:errno:)`, `.durabilityLost(path:errno:)`).
    public func checkpoint() throws {
        try state.withLock { (state) throws in
            guard state.phase != .closed else { throw SignalNodeError.closed }
            let marker = makeMarker(state, type: .checkpoint)
            let written = try append([.marker(marker)], writer: &state.writer)
            state.recordsSinceCheckpoint = 0
            saveDedupe(&state, marker: written.firstSequence, time: marker.time, closing: true)
        }
        try log.markDurable()
    }

    /// Keys stored since the last snapshot that make a checkpoint write a
    /// new one, at least (or half the keys held, if more): the snapshot is
    /// rewritten whole, so spacing them so keeps its cost per key bounded.
    static let dedupeSnapshotMinimumKeys = 65_536

    /// Writes the dedupe snapshot for the marker just appended at `marker`
    /// when enough keys changed since the last one (always when `closing`,
    /// if any did). A failure is logged: the snapshot is derived data, and
    /// the next open rebuilds the window from the log.
    func saveDedupe(_ state: inout NodeState, marker: UInt64, time: Int64, closing: Bool) {
        let stored = state.dedupe.storedSinceSnapshot
        guard stored > 0, closing || stored >= max(Self.dedupeSnapshotMinimumKeys, state.dedupe.count / 2) else { return }
        do {
            try DedupeSnapshot.write(state.dedupe, markerSequence: marker, markerTime: time, to: log)
            state.dedupe.markSnapshotted()
        } catch {
            logger.warning("could not write the dedupe snapshot; the next open rebuilds the dedupe window from the log",
                           metadata: ["error": "\(error)"])
        }
    }

    /// The dedupe store now: keys held, its limit and memory, keys dropped
    /// before their TTL because it was full, and candidates whose record
    /// could not be read back (docs/signals.md, "Dedupe").
    public var dedupeStatus: DedupeStatus {
        let (keys, bytes, dropped, limit) = state.withLock { ($0.dedupe.count, $0.dedupe.memoryBytes, $0.dedupe.droppedEarly, $0.dedupe.maxKeys) }
        return DedupeStatus(keys: keys, maxKeys: limit, memoryBytes: bytes, droppedEarly: dropped,
                            unreadableRecords: dedupeSource.failures.load(ordering: .relaxed))
    }
}
