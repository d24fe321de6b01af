import SegmentLog
import SignalLogJetStream

/// Where a log's mirror stands, asked of its stream (`info --mirror`): the
/// last record the stream holds for the log and how far that is behind the
/// log (docs/jetstream.md, "Lag"). Nothing about a mirror is kept in the
/// log directory, so the stream is the only place to ask.
struct MirrorStatus {
    var stream: String
    var logID: String
    /// One past the last log sequence the stream holds (the log's first when it holds none).
    var mirroredNext: UInt64
    var mirroredTime: Int64?
    /// Whether the stream holds any message of the log.
    var holdsAny: Bool
    var lag: MirrorLag

    static func load(log: SegmentLog, servers: String, stream: String, logID: String, prefix: String,
                     nats: NATSServerOptions) async throws(CLIError) -> MirrorStatus {
        let client = try await nats.connect(servers)
        defer { Task { await client.close() } }
        let subjects = LogSubjects(prefix: prefix, logID: logID)
        let last: StoredMessage?
        do {
            last = try await JetStream(client: client).lastMessage(stream: stream, subject: subjects.all)
        } catch {
            throw CLIError("cannot ask stream \(stream) for log \(logID): \(error)", exitCode: ExitStatus.failure)
        }
        var next = log.firstSequence
        var time: Int64?
        if let last {
            guard let sequence = subjects.lastSequence(in: last.headers) else {
                throw CLIError("stream \(stream) message \(last.sequence) on \(last.subject) carries no SignalLog-Sequence header", exitCode: ExitStatus.failure)
            }
            next = sequence + 1
            time = last.headers[LogSubjects.Header.time].flatMap { Int64($0) }
        }
        let lag: MirrorLag
        do {
            lag = try MirrorLag.of(log, mirroredNext: next, mirroredTime: time)
        } catch {
            throw CLIError("reading the log: \(error)", exitCode: ExitStatus.failure)
        }
        return MirrorStatus(stream: stream, logID: logID, mirroredNext: next, mirroredTime: time, holdsAny: last != nil, lag: lag)
    }

    var text: String {
        let held = holdsAny ? "through sequence \(mirroredNext - 1)" : "nothing yet"
        return "Mirror:     stream \(stream), log \(logID): holds \(held); \(lag.records) records, \(formatSeconds(lag.seconds)) s behind\n"
    }

    var json: JSON {
        .object([
            ("stream", .string(stream)), ("log", .string(logID)),
            ("holds_records", .bool(holdsAny)), ("next_sequence", .uint(mirroredNext)),
            ("lag_records", .uint(lag.records)), ("lag_seconds", .double(lag.seconds)),
        ])
    }

    private func formatSeconds(_ seconds: Double) -> String {
        String(Double((seconds * 1000).rounded()) / 1000)
    }
}
