import SegmentLog

/// What ``LogRestore`` reads.
public struct RestoreOptions: Sendable {
    /// The stream a mirror shipped to.
    public var stream: String
    /// The log's prefix and id, as the mirror used them.
    public var subjects: LogSubjects
    /// Messages asked for per pull.
    public var fetchBatch: Int = 4096
    /// Most records written as one batch (consecutive records with the same
    /// append time are grouped up to this many).
    public var maxBatchRecords: Int = 4096

    public init(stream: String, subjects: LogSubjects) {
        self.stream = stream
        self.subjects = subjects
    }
}

/// What a restore wrote.
public struct RestoreSummary: Sendable, Equatable {
    /// Records appended in this run.
    public var records: UInt64 = 0
    /// Batches appended in this run.
    public var batches: UInt64 = 0
    /// The log's first and next sequence afterwards.
    public var firstSequence: UInt64 = 0
    public var nextSequence: UInt64 = 0
}

/// Rebuilds a log from the record messages a ``LogMirror`` shipped: the same
/// sequences, append times, kinds, partitions and payloads
/// (docs/jetstream.md, "Restore").
///
/// It reads `<prefix>.<log>.>` through an ephemeral pull consumer in stream
/// order, checks that sequences follow on without a gap, and appends runs
/// of records that share an append time as one batch with
/// ``SegmentLog/append(_:restoringSequence:timestamp:)``. Into an empty log
/// it starts wherever the stream starts; into a log with records it skips
/// what the log already has and continues, so an interrupted restore can
/// be run again.
public struct LogRestore: Sendable {
    public let jetStream: JetStream
    public let options: RestoreOptions

    public init(jetStream: JetStream, options: RestoreOptions) {
        self.jetStream = jetStream
        self.options = options
    }

    public func run(into log: SegmentLog) async throws(RestoreError) -> RestoreSummary {
        var config = ConsumerConfig(deliverPolicy: .all, ackPolicy: .all, filterSubject: options.subjects.all)
        config.maxAckPending = max(options.fetchBatch * 2, 1024)
        let consumer: PullConsumer
        do {
            consumer = try await jetStream.createConsumer(stream: options.stream, config)
        } catch {
            throw .jetStream(error)
        }
        defer { consumer.close() }
        let expected = consumer.info.numPending
        var summary = RestoreSummary()
        var received: UInt64 = 0
        var emptyPulls = 0
        // Where the next record must be: the log's end, or (empty log) wherever the stream starts.
        var next: UInt64? = log.nextSequence > log.firstSequence || log.nextSequence > 0 ? log.nextSequence : nil
        let draft = log.makeDraft()
        var draftFirst: UInt64 = 0, draftTime: Int64 = 0

        func flush() throws(RestoreError) {
            guard draft.count > 0 else { return }
            do {
                try log.append(draft, restoringSequence: draftFirst, timestamp: draftTime)
            } catch {
                throw .log(error)
            }
            summary.batches += 1
        }

        while received < expected {
            let messages: [JetStreamMessage]
            do {
                messages = try await consumer.fetch(batch: min(options.fetchBatch, Int(expected - received)), expires: .seconds(1))
            } catch {
                throw .jetStream(error)
            }
            if messages.isEmpty {
                emptyPulls += 1
                if emptyPulls >= 10 { throw .incomplete(stream: options.stream, received: received, expected: expected) }
                continue
            }
            emptyPulls = 0
            for message in messages {
                received += 1
                // A record message holds one record; a batch message a whole
                // log batch, whose boundaries the restored log keeps.
                let records: [LogRecord]
                let isBatch = message.headers[LogSubjects.Header.lastSequence] != nil
                if isBatch {
                    guard let first = message.headers[LogSubjects.Header.sequence].flatMap({ UInt64($0) }),
                          let decoded = try? StoredBatch.decode(message.payload), decoded.batch.firstSequence == first else {
                        throw .malformedMessage(stream: options.stream, subject: message.subject, streamSequence: message.streamSequence)
                    }
                    records = decoded.records
                    try flush()
                } else {
                    guard let record = options.subjects.record(from: message.headers, payload: message.payload) else {
                        throw .malformedMessage(stream: options.stream, subject: message.subject, streamSequence: message.streamSequence)
                    }
                    records = [record]
                }
                for record in records {
                    if let expectedNext = next {
                        if record.sequence < expectedNext { continue }  // the log has it already
                        if record.sequence > expectedNext {
                            throw .gap(logID: options.subjects.logID, stream: options.stream, expected: expectedNext,
                                       found: record.sequence, streamSequence: message.streamSequence)
                        }
                    }
                    if draft.count > 0 && (record.timestamp != draftTime || (!isBatch && draft.count >= options.maxBatchRecords)) {
                        try flush()
                    }
                    if draft.count == 0 {
                        draftFirst = record.sequence
                        draftTime = record.timestamp
                    }
                    do {
                        try draft.add(kind: record.kind, partition: record.partition, payload: record.payload, eventTime: record.eventTime)
                    } catch {
                        throw .log(error)
                    }
                    summary.records += 1
                    next = record.sequence + 1
                }
                if isBatch { try flush() }
            }
            if let last = messages.last {
                do {
                    try consumer.ack(last)
                } catch {
                    throw .jetStream(error)
                }
            }
        }
        try flush()
        try? await jetStream.deleteConsumer(stream: options.stream, name: consumer.name)
        summary.firstSequence = log.firstSequence
        summary.nextSequence = log.nextSequence
        return summary
    }
}
