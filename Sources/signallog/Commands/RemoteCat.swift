import SegmentLog
import SignalLogJetStream

/// `signallog cat nats://HOST:PORT/STREAM --log ID`: the records of a
/// mirrored log read from its stream (docs/jetstream.md, "Remote reads"),
/// with the same filters and formats as a local `cat`. Gaps in the log's
/// sequences and unreadable messages are named on stderr as they are met
/// and make the exit status 1.
enum RemoteCat {
    /// A `nats://…/STREAM` source: the server URL(s) and the stream's name.
    struct Source: Equatable {
        var servers: String
        var stream: String

        /// Nil unless `text` starts with `nats://`; throws when it names no stream.
        static func parse(_ text: String) throws(CLIError) -> Source? {
            guard text.hasPrefix("nats://") else { return nil }
            let rest = text.dropFirst("nats://".count)
            guard let slash = rest.lastIndex(of: "/") else {
                throw .unusable("\(text) names no stream: use nats://HOST:PORT/STREAM")
            }
            let stream = String(rest[rest.index(after: slash)...])
            guard !stream.isEmpty, !stream.contains(where: { ".*> ".contains($0) }) else {
                throw .unusable("\(text) names no usable stream after the last /")
            }
            return Source(servers: "nats://" + rest[..<slash], stream: stream)
        }
    }

    static func run(_ source: Source, logID: String?, prefix: String, nats: NATSServerOptions, filter: RecordFilter,
                    sink: RecordSink) async throws(CLIError) {
        guard let logID else { throw .unusable("reading nats://…/\(source.stream) needs --log ID (the log's id in the stream)") }
        let client = try await nats.connect(source.servers)
        let reader = StreamLogReader(jetStream: JetStream(client: client), stream: source.stream,
                                     subjects: LogSubjects(prefix: prefix, logID: logID))
        sink.begin()
        let summary: StreamReadSummary
        do {
            summary = try await reader.read(filter.query, problem: { problem in
                sink.out.flush()
                StandardError.line("signallog: \(problem)")
            }) { record in
                if let item = filter.accept(record) { sink.emit(item) }
                return true
            }
        } catch {
            sink.end()
            await client.close()
            throw CLIError("reading log \(logID) from stream \(source.stream): \(error)", exitCode: ExitStatus.failure)
        }
        sink.end()
        await client.close()
        if summary.messages == 0 {
            StandardError.line("signallog: stream \(source.stream) holds no records of log \(logID)")
        }
        if !summary.problems.isEmpty {
            throw CLIError("\(summary.problems.count) gap\(summary.problems.count == 1 ? "" : "s") or unreadable message\(summary.problems.count == 1 ? "" : "s") in stream \(source.stream)",
                           exitCode: ExitStatus.failure)
        }
    }
}
