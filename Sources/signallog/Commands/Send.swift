import ArgumentParser
import Foundation
import SignalLog
import SignalLogJetStream
#if canImport(Glibc)
import Glibc
#endif

/// `signallog send SERVERS --stream NAME --node ID [FILE|-]`: sends NDJSON
/// signals to a node on another machine through a JetStream stream
/// (docs/jetstream.md, "Cross-machine delivery").
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send NDJSON signals to a remote node through a NATS JetStream stream.",
        discussion: """
            Publishes each signal to <prefix>.<node> with message id <node>:<signal id>, in order, \
            applying the node's flow control (warn at 80 %, refuse at 95 % of its queue capacity, \
            counting what the stream still holds for it). The node's `signallog inbox` (or a \
            SignalInbox in its service) appends them. Signals are the JSON `ingest` reads.

            Examples:
              signallog send nats://127.0.0.1:4222 --stream DELIVERY --node node-b signals.ndjson
              producer | signallog send nats://a:4222,nats://b:4222 --stream DELIVERY --node node-b -
            """)

    @Argument(help: ArgumentHelp("NATS server URL(s), comma-separated: nats://[user:pass@]host:port.", valueName: "servers"))
    var servers: String

    @Argument(help: "NDJSON file of signals, or - for standard input.")
    var file: String = "-"

    @Option(name: .long, help: ArgumentHelp("The JetStream stream signals go through.", valueName: "name"))
    var stream: String

    @Option(name: .customLong("node"), help: ArgumentHelp("The receiving node's id.", valueName: "id"))
    var nodeID: String

    @Option(name: .long, help: ArgumentHelp("The first subject token of deliveries.", valueName: "prefix"))
    var prefix = "signallog-delivery"

    @Option(name: .long, help: ArgumentHelp("Signals sent per batch (publishes in flight, at most).", valueName: "n"))
    var batch = 1024

    @OptionGroup var nats: NATSServerOptions

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        let fd: Int32 = file == "-" ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CLIError.unusable("\(file): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        let client = try await nats.connect(servers, retryFor: .seconds(60))
        var delivery = DeliveryStream(name: stream)
        delivery.prefix = prefix
        var options = RemoteTargetOptions()
        options.maxInFlight = batch
        options.logger.logLevel = .error
        let target = RemoteTarget(nodeID: nodeID, jetStream: JetStream(client: client), stream: delivery, options: options)
        let reader = LineReader(fd: fd, name: file == "-" ? "standard input" : file, maxLineBytes: 1 << 20)
        var signals: [Signal] = []
        var lines: [Int] = []
        var counts = (stored: 0, already: 0, malformed: 0)
        var stop: (line: Int, outcome: RemoteSendOutcome)?

        func flush() async throws {
            guard !signals.isEmpty, stop == nil else { return }
            let outcomes: [RemoteSendOutcome]
            do {
                outcomes = try await target.send(batch: signals)
            } catch {
                throw CLIError("sending to node \(nodeID) through stream \(stream): \(error); \(counts.stored) signals were stored before", exitCode: ExitStatus.failure)
            }
            for (line, outcome) in zip(lines, outcomes) {
                switch outcome {
                case .stored: counts.stored += 1
                case .alreadyStored: counts.already += 1
                case .refused, .failed: if stop == nil { stop = (line, outcome) }
                }
            }
            signals.removeAll(keepingCapacity: true)
            lines.removeAll(keepingCapacity: true)
        }

        while stop == nil {
            var decoded: [(Int, Result<Signal, SignalJSONError>)] = []
            let more = try reader.next { line, number in
                switch line {
                case .text(let bytes):
                    if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
                    do throws(SignalJSONError) {
                        decoded.append((number, .success(try SignalLineDecoder.decode(bytes))))
                    } catch {
                        decoded.append((number, .failure(error)))
                    }
                case .tooLong(let size):
                    decoded.append((number, .failure(.invalidValue(field: "line", reason: "\(size) bytes is over the 1 MiB limit"))))
                }
            }
            for (number, result) in decoded {
                switch result {
                case .success(let signal):
                    signals.append(signal)
                    lines.append(number)
                case .failure(let error):
                    counts.malformed += 1
                    StandardError.line("signallog: line \(number): \(error)")
                }
            }
            if signals.count >= batch || !more { try await flush() }
            if !more { break }
        }
        await client.close()
        print("Sent to node \(nodeID) through stream \(stream): \(counts.stored) stored, \(counts.already) already there, \(counts.malformed) malformed")
        if let stop {
            throw CLIError("line \(stop.line) was not sent: \(stop.outcome); nothing after it was sent", exitCode: ExitStatus.failure)
        }
        if counts.malformed > 0 {
            throw CLIError("\(counts.malformed) lines were not signals", exitCode: ExitStatus.failure)
        }
    }
}
