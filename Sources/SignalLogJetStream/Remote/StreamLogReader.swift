import SegmentLog

/// Reads a log's records straight from the stream a ``LogMirror`` ships to
/// (docs/jetstream.md, "Remote reads"), so an auditor needs no copy of the
/// node's disk: the same ``SegmentLog/LogQuery`` as a local read (time
/// range by append time, partitions, kinds, sequences), record and batch
/// messages alike.
///
/// It reads every message of the log from its start point on and filters
/// here, which lets it check that log sequences follow each other: a gap is
/// reported (``StreamReadProblem/gap``), as is a message it cannot read,
/// and reading goes on after either. With ``SegmentLog/LogQuery/since`` it
/// starts at the stream messages stored from `since` minus
/// ``clockMargin`` (the stream's time is the server's, at least the record's
/// append time on a server whose clock agrees), so most of a long stream is
/// never sent.
public struct StreamLogReader: Sendable {
    public let jetStream: JetStream
    public let stream: String
    public let subjects: LogSubjects
    /// How far before `since` the stream is read from, to allow for a
    /// server clock behind the log's.
    public var clockMargin: Duration = .seconds(300)
    /// Messages asked for per pull.
    public var fetchBatch = 1024

    public init(jetStream: JetStream, stream: String, subjects: LogSubjects) {
        self.jetStream = jetStream
        self.stream = stream
        self.subjects = subjects
    }

    /// Calls `body` with each record matching `query`, in log order, until
    /// it returns false or everything the stream held at the start has been
    /// read; `problem` hears of each gap or unreadable message when it is met.
    public func read(_ query: LogQuery, problem: (StreamReadProblem) -> Void = { _ in },
                     _ body: (LogRecord) throws -> Bool) async throws -> StreamReadSummary {
        var config = ConsumerConfig(ackPolicy: .all, filterSubject: subjects.all)
        if let since = query.since {
            config.deliverPolicy = .byStartTime(microseconds: since - clockMargin.microseconds)
        }
        config.maxAckPending = max(fetchBatch * 2, 1024)
        let consumer: PullConsumer
        do {
            consumer = try await jetStream.createConsumer(stream: stream, config)
        } catch {
            throw StreamReadError.jetStream(error)
        }
        defer { consumer.close() }
        let expected = consumer.info.numPending
        var summary = StreamReadSummary()
        var next: UInt64?
        var lastTime: Int64?
        var emptyPulls = 0
        var stop = false

        func report(_ found: StreamReadProblem) {
            summary.problems.append(found)
            problem(found)
        }

        reading: while summary.messages < expected && !stop {
            let messages: [JetStreamMessage]
            do {
                messages = try await consumer.fetch(batch: min(fetchBatch, Int(expected - summary.messages)), expires: .seconds(1))
            } catch {
                throw StreamReadError.jetStream(error)
            }
            if messages.isEmpty {
                emptyPulls += 1
                if emptyPulls >= 10 { throw StreamReadError.incomplete(stream: stream, received: summary.messages, expected: expected) }
                continue
            }
            emptyPulls = 0
            for message in messages {
                summary.messages += 1
                let records: [LogRecord]
                if message.headers[LogSubjects.Header.lastSequence] != nil {
                    guard let first = message.headers[LogSubjects.Header.sequence].flatMap({ UInt64($0) }) else {
                        report(.unreadable(stream: stream, subject: message.subject, streamSequence: message.streamSequence,
                                           reason: "a batch message without a SignalLog-Sequence header"))
                        continue
                    }
                    do {
                        let decoded = try StoredBatch.decode(message.payload)
                        guard decoded.batch.firstSequence == first else {
                            report(.unreadable(stream: stream, subject: message.subject, streamSequence: message.streamSequence,
                                               reason: "the batch starts at \(decoded.batch.firstSequence), its header says \(first)"))
                            continue
                        }
                        records = decoded.records
                    } catch {
                        report(.unreadable(stream: stream, subject: message.subject, streamSequence: message.streamSequence, reason: "\(error)"))
                        continue
                    }
                } else if let record = subjects.record(from: message.headers, payload: message.payload) {
                    records = [record]
                } else {
                    report(.unreadable(stream: stream, subject: message.subject, streamSequence: message.streamSequence,
                                       reason: "no SignalLog-Sequence, -Time, -Kind and -Partition headers"))
                    continue
                }
                for record in records {
                    if let expectedNext = next {
                        if record.sequence < expectedNext {
                            summary.repeated += 1
                            continue
                        }
                        if record.sequence > expectedNext {
                            report(.gap(logID: subjects.logID, stream: stream, expected: expectedNext, found: record.sequence,
                                        streamSequence: message.streamSequence))
                        }
                    }
                    next = record.sequence + 1
                    lastTime = record.timestamp
                    if summary.firstSequence == nil { summary.firstSequence = record.sequence }
                    summary.lastSequence = record.sequence
                    summary.records += 1
                    guard Self.matches(record, query) else { continue }
                    summary.matched += 1
                    if try !body(record) {
                        stop = true
                        break
                    }
                }
                if stop { break }
            }
            if let last = messages.last { try? consumer.ack(last) }
            // Append times never decrease along the log: past `until`, nothing more can match.
            if let until = query.until, let time = lastTime, time >= until { break reading }
            if let through = query.throughSequence, let last = summary.lastSequence, last >= through { break reading }
        }
        try? await jetStream.deleteConsumer(stream: stream, name: consumer.name)
        return summary
    }

    /// Whether `record` passes the query's sequence, time, partition and kind filters.
    static func matches(_ record: LogRecord, _ query: LogQuery) -> Bool {
        if record.sequence < query.fromSequence { return false }
        if let through = query.throughSequence, record.sequence > through { return false }
        if let since = query.since, record.timestamp < since { return false }
        if let until = query.until, record.timestamp >= until { return false }
        if let partitions = query.partitions, !partitions.contains(record.partition) { return false }
        if let kinds = query.kinds, !kinds.contains(record.kind) { return false }
        return true
    }
}
