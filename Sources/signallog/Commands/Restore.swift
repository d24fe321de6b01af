import ArgumentParser
import SegmentLog
import SignalLogJetStream

/// `signallog restore nats://HOST:PORT --stream NAME --log ID DIR`: rebuilds
/// a log from what `signallog mirror` shipped (docs/jetstream.md).
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a log from the records a mirror shipped to a NATS JetStream stream.",
        discussion: """
            Reads <prefix>.<log>.> in stream order and writes a log whose records have the \
            original sequences, append times, kinds, partitions and payloads. DIR must be a new \
            or empty directory, or a log restored earlier from the same stream (it continues \
            after the log's last record). Fails, keeping what it wrote, at a gap in the sequences.

            Examples:
              signallog restore nats://127.0.0.1:4222 --stream SIGNALS --log node-a ./node-a-restored
              signallog verify ./node-a-restored
            """)

    @Argument(help: ArgumentHelp("NATS server URL(s), comma-separated: nats://[user:pass@]host:port.", valueName: "servers"))
    var servers: String

    @Option(name: .long, help: ArgumentHelp("The JetStream stream to read.", valueName: "name"))
    var stream: String

    @Option(name: .customLong("log"), help: ArgumentHelp("The id the log was mirrored under.", valueName: "id"))
    var logID: String

    @Option(name: .long, help: ArgumentHelp("The first subject token.", valueName: "prefix"))
    var prefix = "signallog"

    @Argument(help: "The directory to write the log into.")
    var directory: String

    @OptionGroup var nats: NATSServerOptions

    func run() async throws {
        let log: SegmentLog
        do {
            log = try SegmentLog.open(directory: directory)
        } catch {
            throw CLIError.from(error, directory: directory)
        }
        let client: NATSClient
        do {
            client = try await nats.connect(servers)
        } catch {
            try? log.close()
            throw error
        }
        let restore = LogRestore(jetStream: JetStream(client: client), options: RestoreOptions(stream: stream, subjects: LogSubjects(prefix: prefix, logID: logID)))
        let summary: RestoreSummary
        do {
            summary = try await restore.run(into: log)
        } catch {
            await client.close()
            try? log.close()
            throw CLIError("restore of log \(logID) from stream \(stream): \(error)", exitCode: ExitStatus.failure)
        }
        await client.close()
        do {
            try log.close()
        } catch {
            throw CLIError.from(error, directory: directory)
        }
        let range = summary.nextSequence > summary.firstSequence ? "sequences \(summary.firstSequence)…\(summary.nextSequence - 1)" : "no records"
        print("Restored log \(logID) from stream \(stream) into \(directory): \(summary.records) records in \(summary.batches) batches (\(range))")
    }
}
