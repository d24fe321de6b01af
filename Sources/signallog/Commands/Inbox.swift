import ArgumentParser
import Foundation
import SignalLog
import SignalLogJetStream

/// `signallog inbox DIR nats://HOST:PORT --stream NAME --node ID`: appends
/// the signals sent to a node through a JetStream stream to its log
/// (docs/jetstream.md, "Cross-machine delivery").
struct Inbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append the signals sent to a node through a NATS JetStream stream to its log.",
        discussion: """
            Reads <prefix>.<node> with the durable pull consumer inbox-<node>, appends each fetched \
            batch to the log as accepted-but-unprocessed signals (deduplicated by idempotency key; the \
            service that owns the log processes them), and acknowledges a batch only after the log \
            has it. Killed at any point, a later run appends what was left and its dedupe absorbs \
            what was appended but not acknowledged. Holds the log's writer lock while it runs. \
            Answers status requests on <prefix>-status.<node> so that senders' flow control sees \
            the node's queue.

            Examples:
              signallog inbox ./node-b nats://127.0.0.1:4222 --stream DELIVERY --node node-b
              signallog inbox ./node-b nats://127.0.0.1:4222 --stream DELIVERY --until-idle
            """)

    @Argument(help: "The log directory (created if missing).")
    var directory: String

    @Argument(help: ArgumentHelp("NATS server URL(s), comma-separated: nats://[user:pass@]host:port.", valueName: "servers"))
    var servers: String

    @Option(name: .long, help: ArgumentHelp("The JetStream stream signals arrive through.", valueName: "name"))
    var stream: String

    @Option(name: .customLong("node"), help: ArgumentHelp("The node id senders address (default: the directory's name).", valueName: "id"))
    var nodeID: String?

    @Option(name: .long, help: ArgumentHelp("The first subject token of deliveries.", valueName: "prefix"))
    var prefix = "signallog-delivery"

    @Option(name: .long, help: ArgumentHelp("Signals fetched, appended and acknowledged together, at most.", valueName: "n"))
    var batch = 256

    @Option(name: .customLong("ack-wait"), help: ArgumentHelp("Seconds before the server delivers an unacknowledged message again.", valueName: "seconds"))
    var ackWait: Double = 30

    @Option(name: .customLong("dedupe-ttl"), help: ArgumentHelp("The log's dedupe window in seconds.", valueName: "seconds"))
    var dedupeTTL: Double = 300

    @Flag(name: .customLong("until-idle"), help: "Exit once nothing is left for the node, instead of waiting for more.")
    var untilIdle = false

    @OptionGroup var nats: NATSServerOptions

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if ackWait <= 0 { throw ValidationError("--ack-wait must be positive") }
        if dedupeTTL <= 0 { throw ValidationError("--dedupe-ttl must be positive") }
    }

    func run() async throws {
        let id = nodeID ?? URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        let client = try await nats.connect(servers, retryFor: .seconds(60))
        let node = try AcceptOnlyNode.open(directory: directory, dedupeTTL: .milliseconds(Int64(dedupeTTL * 1000)))
        var options = InboxOptions()
        options.batchSize = batch
        options.ackWait = .milliseconds(Int64(ackWait * 1000))
        options.stopWhenIdle = untilIdle
        var delivery = DeliveryStream(name: stream)
        delivery.prefix = prefix
        let inbox = SignalInbox(node: node, jetStream: JetStream(client: client), stream: delivery, address: id, options: options)
        let progress: InboxProgress
        do {
            progress = try await inbox.deliver()
        } catch {
            await node.gracefulShutdown(timeout: .zero)
            await client.close()
            throw CLIError("inbox of node \(id) from stream \(stream): \(error)", exitCode: ExitStatus.failure)
        }
        await node.gracefulShutdown(timeout: .zero)
        await client.close()
        for entry in progress.unreadable { StandardError.line("signallog: \(entry)") }
        print("Node \(id) (\(directory)) from stream \(stream): \(progress.accepted) accepted, \(progress.duplicates) duplicates, \(progress.conflicts) conflicts, \(progress.rejected) rejected, \(progress.unreadableCount) unreadable, \(progress.redelivered) redelivered")
        if progress.unreadableCount > 0 {
            throw CLIError("\(progress.unreadableCount) messages in stream \(stream) were not signals", exitCode: ExitStatus.failure)
        }
    }
}
