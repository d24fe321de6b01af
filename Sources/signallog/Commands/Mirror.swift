import ArgumentParser
import Foundation
import SegmentLog
import SignalLogJetStream

/// `signallog mirror DIR nats://HOST:PORT --stream NAME`: ships every record
/// to a JetStream stream, once each, in order (docs/jetstream.md).
struct Mirror: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ship every record of a log to a NATS JetStream stream, in order, exactly once.",
        discussion: """
            Opens the log read-only (a live writer is never held up) and publishes one message per \
            record to <prefix>.<log>.<kind>.<partition>, with message id <log>:<sequence>, so the \
            server drops a resent record (--mode batch: one message per log batch, its bytes as on \
            disk, to <prefix>.<log>.batch). A run resumes after the last record the stream holds for \
            the log, asked of the stream. Creates the stream (capturing <prefix>.>) if it is missing. \
            While no server answers it backs off and retries (with --give-up-after, only that long).

            Examples:
              signallog mirror ./log nats://127.0.0.1:4222 --stream SIGNALS
              signallog mirror ./log nats://a:4222,nats://b:4222 --stream SIGNALS --log node-a --follow
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Argument(help: ArgumentHelp("NATS server URL(s), comma-separated: nats://[user:pass@]host:port.", valueName: "servers"))
    var servers: String

    @Option(name: .long, help: ArgumentHelp("The JetStream stream to ship to.", valueName: "name"))
    var stream: String

    @Option(name: .customLong("log"), help: ArgumentHelp("The log's id in subjects and message ids (default: the directory's name).", valueName: "id"))
    var logID: String?

    @Option(name: .long, help: ArgumentHelp("The first subject token.", valueName: "prefix"))
    var prefix = "signallog"

    @Option(name: .long, help: ArgumentHelp("record: one message per record; batch: one per log batch, bytes as on disk.", valueName: "mode"))
    var mode = "record"

    @Flag(name: [.short, .long], help: "Keep shipping as a writer appends (until interrupted).")
    var follow = false

    @Option(name: .long, help: ArgumentHelp("Replicas of a stream this command creates.", valueName: "n"))
    var replicas = 1

    @Option(name: .customLong("max-in-flight"), help: ArgumentHelp("Publishes awaiting their ack, at most.", valueName: "n"))
    var maxInFlight = 1024

    @Option(name: .customLong("give-up-after"), help: ArgumentHelp("Fail after this many seconds without an ack (default: 60, or never with --follow).", valueName: "seconds"))
    var giveUpAfter: Double?

    @OptionGroup var nats: NATSServerOptions

    func validate() throws {
        if MirrorMode(rawValue: mode) == nil { throw ValidationError("--mode must be record or batch, not \(mode)") }
        if maxInFlight < 1 { throw ValidationError("--max-in-flight must be at least 1") }
        if ![1, 3, 5].contains(replicas) { throw ValidationError("--replicas must be 1, 3 or 5") }
        if let giveUpAfter, giveUpAfter <= 0 { throw ValidationError("--give-up-after must be positive") }
    }

    func run() async throws {
        let listing = try LogDirectory.list(directory, requireSegments: false)
        let log = try listing.openReadOnly()
        defer { try? log.close() }
        // Like a lost connection, a server that is not up yet is waited for.
        let waitLimit: Duration? = giveUpAfter.map { .milliseconds(Int64($0 * 1000)) } ?? (follow ? nil : .seconds(60))
        let client = try await nats.connect(servers, retryFor: waitLimit)
        let id = logID ?? URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        var options = MirrorOptions(stream: stream, subjects: LogSubjects(prefix: prefix, logID: id))
        options.follow = follow
        options.mode = MirrorMode(rawValue: mode) ?? .record
        options.replicas = replicas
        options.maxInFlight = maxInFlight
        if let giveUpAfter {
            options.giveUpAfter = .milliseconds(Int64(giveUpAfter * 1000))
        } else if !follow {
            options.giveUpAfter = .seconds(60)
        }
        let mirror = LogMirror(log: log, jetStream: JetStream(client: client), options: options)
        let result: MirrorProgress
        do {
            result = try await mirror.run()
        } catch {
            await client.close()
            throw CLIError("mirror of \(directory) to stream \(stream): \(error)", exitCode: ExitStatus.failure)
        }
        await client.close()
        print("Mirrored \(directory) (log \(id)) to stream \(stream): \(result.shipped) records shipped, \(result.duplicates) already there, next sequence \(result.nextSequence)")
    }
}
