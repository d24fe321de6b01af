import Metrics
import SegmentLog

/// Ships every record of a log to a JetStream stream, in order, once each
/// (docs/jetstream.md, "Guarantees").
///
/// One message per record (record mode): subject
/// `<prefix>.<log>.<kind>.<partition token>`, message id `<log>:<sequence>`,
/// the record's sequence, time, kind and partition in headers, the payload
/// as the body; or one per log batch (batch mode): subject
/// `<prefix>.<log>.batch`, the batch's bytes as on disk. A run starts after the last record the stream holds for the
/// log (asked of the stream, never kept locally), keeps at most
/// ``MirrorOptions/maxInFlight`` publishes unacknowledged, and after any
/// failure backs off and resends from the first unacknowledged record: the
/// server drops the resent ones it already stored by their message id.
///
/// The mirror only reads the log (a read-only open follows a live writer
/// with ``SegmentLog/refresh()``), so a slow or unreachable server never
/// holds the writer up.
public final class LogMirror: Sendable {
    public let log: SegmentLog
    public let jetStream: JetStream
    public let options: MirrorOptions
    private let metrics: MirrorMetrics

    /// - Parameter metricsFactory: where the lag gauges go (docs/jetstream.md,
    ///   "Lag"); nil: the bootstrapped `MetricsSystem.factory`.
    public init(log: SegmentLog, jetStream: JetStream, options: MirrorOptions, metricsFactory: (any MetricsFactory)? = nil) {
        self.log = log
        self.jetStream = jetStream
        self.options = options
        metrics = MirrorMetrics(logID: options.subjects.logID, stream: options.stream,
                                factory: metricsFactory ?? MetricsSystem.factory)
    }

    /// Mirrors until the log's end (or, with ``MirrorOptions/follow``, until
    /// the task is cancelled) and returns where it stands. `progress` is
    /// called after each pass that shipped something.
    public func run(progress: (@Sendable (MirrorProgress) -> Void)? = nil) async throws(MirrorError) -> MirrorProgress {
        var retry = RetryState(options: options)
        try await retry.until { () async throws(PassFailure) in try await prepareStream() }
        let (next, time) = try await retry.until { () async throws(PassFailure) -> (UInt64, Int64?) in try await resumePoint() }
        var state = MirrorProgress(nextSequence: next)
        state.mirroredTime = time
        var lastStreamSequence: UInt64 = 0
        while !Task.isCancelled {
            do {
                try log.refresh()
            } catch {
                throw .log(error)
            }
            let end = log.nextSequence
            if state.nextSequence < log.firstSequence {
                throw .recordsRemoved(logID: options.subjects.logID, stream: options.stream, streamNext: state.nextSequence, logFirst: log.firstSequence)
            }
            if state.nextSequence > end {
                throw .streamAhead(logID: options.subjects.logID, stream: options.stream, streamNext: state.nextSequence, logNext: end)
            }
            do {
                state.lag = try MirrorLag.of(log, mirroredNext: state.nextSequence, mirroredTime: state.mirroredTime)
            } catch {
                throw .log(error)
            }
            metrics.record(state.lag)
            if state.nextSequence == end {
                if !options.follow { break }
                try? await Task.sleep(for: options.pollInterval)
                continue
            }
            let before = state
            do throws(PassFailure) {
                try await ship(through: end - 1, state: &state, lastStreamSequence: &lastStreamSequence)
                retry.succeeded()
            } catch {
                switch error {
                case .retry(let reason):
                    state.retries += 1
                    try await retry.pause(after: reason)
                case .fatal(let error):
                    throw error
                }
            }
            if state != before { progress?(state) }
        }
        return state
    }

    /// Why a pass stopped early.
    enum PassFailure: Error {
        /// A failure a resend can get past (lost connection, timeout, no leader yet).
        case retry(String)
        case fatal(MirrorError)
    }

    /// Publishes records `state.nextSequence ... last`, keeping a window of
    /// acks in flight; advances `state.nextSequence` past each record acked.
    /// On failure it waits for what is in flight (those acks still count)
    /// and returns the failure.
    private func ship(through last: UInt64, state: inout MirrorProgress, lastStreamSequence: inout UInt64) async throws(PassFailure) {
        let reader = log.read(LogQuery(fromSequence: state.nextSequence, throughSequence: last))
        var window: [(first: UInt64, sequence: UInt64, time: Int64, ack: JetStreamPendingAck)] = []
        window.reserveCapacity(options.maxInFlight)
        var head = 0
        var failure: PassFailure?

        func settle(_ entry: (first: UInt64, sequence: UInt64, time: Int64, ack: JetStreamPendingAck), state: inout MirrorProgress) async -> PassFailure? {
            do {
                let ack = try await entry.ack.value()
                guard ack.stream == options.stream else {
                    return .fatal(.streamDoesNotCapture(stream: options.stream, subject: entry.ack.subject, subjects: ["(stored by stream \(ack.stream))"]))
                }
                // Only an unbroken run of acks moves the resume point
                // (`entry.sequence` is the message's last log sequence).
                guard entry.first == state.nextSequence else { return nil }
                // A duplicate's ack names the stored original: it too must
                // come after the record before it.
                if ack.sequence <= lastStreamSequence {
                    return .fatal(.outOfOrder(stream: options.stream, logSequence: entry.sequence, streamSequence: ack.sequence, previousStreamSequence: lastStreamSequence))
                }
                lastStreamSequence = ack.sequence
                let records = Int(entry.sequence - entry.first + 1)
                if ack.duplicate { state.duplicates += records } else { state.shipped += records }
                state.nextSequence = entry.sequence + 1
                state.mirroredTime = entry.time
                return nil
            } catch {
                return Self.classify(error)
            }
        }

        var pending: [LogRecord] = []
        var pendingHead = 0
        var tokens: [String: (token: String, escaped: String)] = [:]
        var nextFirst = state.nextSequence
        while failure == nil {
            // The next message: a record, or (batch mode) a whole batch. A
            // batch that began before the resume point (the stream's last
            // run was in record mode) goes out as its remaining records.
            let subject: String, payload: [UInt8], headers: NATSHeaders, lastSequence: UInt64, time: Int64
            do {
                if pendingHead < pending.count {
                    let record = pending[pendingHead]
                    pendingHead += 1
                    (subject, payload, headers, lastSequence) = recordMessage(record, tokens: &tokens)
                    time = record.timestamp
                } else if options.mode == .batch {
                    guard let batch = try reader.nextBatch() else { break }
                    if batch.firstSequence < state.nextSequence || batch.lastSequence > last {
                        pending = try StoredBatch.decode(batch.bytes).records.filter { $0.sequence >= state.nextSequence && $0.sequence <= last }
                        pendingHead = 0
                        continue
                    }
                    (subject, payload, headers, lastSequence) = (options.subjects.batchSubject, batch.bytes, options.subjects.headers(for: batch), batch.lastSequence)
                    time = batch.maxTimestamp
                } else {
                    guard let record = try reader.next() else { break }
                    (subject, payload, headers, lastSequence) = recordMessage(record, tokens: &tokens)
                    time = record.timestamp
                }
            } catch {
                failure = .fatal(.log(error))
                break
            }
            do {
                let ack = try jetStream.startPublish(subject, payload: payload, headers: headers, timeout: options.ackTimeout)
                window.append((nextFirst, lastSequence, time, ack))
                nextFirst = lastSequence + 1
            } catch {
                failure = Self.classify(error)
                break
            }
            if window.count - head >= options.maxInFlight {
                failure = await settle(window[head], state: &state)
                head += 1
                if head >= 4096 {
                    window.removeFirst(head)
                    head = 0
                }
            }
        }
        // Everything sent is settled before returning, so no ack is lost and
        // a resend starts after the last one acknowledged in order.
        while head < window.count {
            let outcome = await settle(window[head], state: &state)
            if failure == nil { failure = outcome }
            if case .fatal = outcome { failure = outcome }
            head += 1
        }
        if let failure { throw failure }
    }

    /// A record's message: subject, body, headers and sequence, with each
    /// partition's subject token and escaped header value made once per
    /// pass (`tokens`, capped), not twice per record.
    private func recordMessage(_ record: LogRecord, tokens: inout [String: (token: String, escaped: String)]) -> (String, [UInt8], NATSHeaders, UInt64) {
        let names: (token: String, escaped: String)
        if let known = tokens[record.partition] {
            names = known
        } else {
            names = (SubjectToken.token(record.partition), SubjectToken.escape(record.partition))
            if tokens.count >= 4096 { tokens.removeAll(keepingCapacity: true) }
            tokens[record.partition] = names
        }
        let subject = options.subjects.subject(kind: record.kind, partitionToken: names.token)
        let headers = options.subjects.headers(for: record, escapedPartition: names.escaped)
        return (subject, record.payload, headers, record.sequence)
    }

    static func classify(_ error: JetStreamError) -> PassFailure {
        switch error {
        case .transport(let transport):
            switch transport {
            case .closed, .payloadTooLarge: return .fatal(.jetStream(error))
            default: return .retry(error.description)
            }
        case .api(_, _, let code, _, _) where code == 503 || code == 408 || code == 504:
            return .retry(error.description)
        default:
            return .fatal(.jetStream(error))
        }
    }

    /// Checks that the stream exists and captures this log's subjects,
    /// creating it when allowed.
    private func prepareStream() async throws(PassFailure) {
        let probe = options.subjects.subject(kind: 0, partition: "")
        do {
            let info = try await jetStream.streamInfo(options.stream)
            guard info.config.subjects.contains(where: { LogSubjects.matches(pattern: $0, subject: probe) }) else {
                throw PassFailure.fatal(.streamDoesNotCapture(stream: options.stream, subject: probe, subjects: info.config.subjects))
            }
        } catch let error as PassFailure {
            throw error
        } catch let error as JetStreamError where error.errorCode == JetStreamErrorCode.streamNotFound && options.createStream {
            var config = StreamConfig(name: options.stream, subjects: [options.subjects.streamSubject])
            config.replicas = options.replicas
            do {
                try await jetStream.createStream(config)
            } catch {
                throw Self.classify(error)
            }
        } catch let error as JetStreamError {
            throw Self.classify(error)
        } catch {
            throw .fatal(.jetStream(.malformedResponse(server: "", subject: options.stream, reason: "\(error)")))
        }
    }

    /// The first log sequence the stream does not hold: one past the
    /// sequence of the newest message on `<prefix>.<log>.>`, or the log's
    /// first sequence when there is none; with the newest append time the
    /// stream holds (its `SignalLog-Time` header).
    private func resumePoint() async throws(PassFailure) -> (UInt64, Int64?) {
        let last: StoredMessage?
        do {
            last = try await jetStream.lastMessage(stream: options.stream, subject: options.subjects.all)
        } catch {
            throw Self.classify(error)
        }
        guard let last else { return (log.firstSequence, nil) }
        guard let sequence = options.subjects.lastSequence(in: last.headers) else {
            throw .fatal(.foreignMessage(stream: options.stream, subject: last.subject, streamSequence: last.sequence))
        }
        return (sequence + 1, last.headers[LogSubjects.Header.time].flatMap { Int64($0) })
    }
}

/// Backoff between retries, and the give-up deadline.
struct RetryState {
    let options: MirrorOptions
    var pause: Duration
    var lastSuccess = ContinuousClock.now
    var announced = false

    init(options: MirrorOptions) {
        self.options = options
        pause = .milliseconds(20)
    }

    mutating func succeeded() {
        pause = .milliseconds(20)
        lastSuccess = .now
    }

    /// Waits before the next try: until a connection is up, then the
    /// current pause (doubling up to the maximum). Throws once the give-up
    /// time has passed.
    mutating func pause(after reason: String) async throws(MirrorError) {
        if let limit = options.giveUpAfter, ContinuousClock.now - lastSuccess > limit {
            throw .unavailable(stream: options.stream, seconds: limit.seconds, lastError: reason)
        }
        try? await Task.sleep(for: pause)
        pause = min(pause * 2, options.maxBackoff)
    }

    /// Runs `body` until it succeeds or fails for good.
    mutating func until<T>(_ body: () async throws(LogMirror.PassFailure) -> T) async throws(MirrorError) -> T {
        while true {
            do {
                let value = try await body()
                succeeded()
                return value
            } catch {
                switch error {
                case .retry(let reason): try await pause(after: reason)
                case .fatal(let error): throw error
                }
            }
        }
    }
}
