import SegmentLog
import SignalLog
import Synchronization

/// A ``SignalNode`` opened by the tool to *accept* signals (ingest) or to
/// apply retention (vacuum), never to process them: processing belongs to
/// the service that owns the log, with its handlers.
///
/// The processing layer has no accept-only mode yet, so every signal type
/// gets a handler that waits without end: each partition's worker holds its
/// first signal and nothing is recorded as processed or dead-lettered. At
/// close the node drains for zero seconds and writes its clean-shutdown
/// marker; the waiting handlers' signals were never finished, so they stay
/// pending and are processed when the service next opens the log.
final class AcceptingNode: Sendable {
    let node: SignalNode
    private let registered = Mutex<Set<String>>([])

    /// Continuations of handlers that wait forever, kept so they are never freed.
    private static let parked = Mutex<[CheckedContinuation<Void, Never>]>([])

    private static let park: SignalHandler = { _ in
        await withCheckedContinuation { continuation in parked.withLock { $0.append(continuation) } }
    }

    /// Opens the log for writing. `types` are the signal types of work
    /// already pending in the log (so resumed workers wait too).
    init(directory: String, pendingTypes types: Set<String>, dedupeTTL: Duration = .seconds(300)) throws(CLIError) {
        var options = SignalNodeOptions()
        options.queueCapacity = Int.max / 2
        options.dedupeTTL = dedupeTTL
        options.checkpointInterval = Int.max / 2
        options.logger.logLevel = .critical
        var handlers: [String: SignalHandler] = [:]
        for type in types { handlers[type] = Self.park }
        do {
            node = try SignalNode.open(nodeID: "signallog-cli", directory: directory, options: options, handlers: handlers)
        } catch let error as SegmentLogError {
            throw CLIError.from(error, directory: directory)
        } catch {
            throw CLIError("cannot open \(directory) for writing: \(error)", exitCode: ExitStatus.failure)
        }
        registered.withLock { $0 = types }
    }

    /// Makes sure a waiting handler exists for each type before signals of it are accepted.
    func prepare(types: some Sequence<String>) {
        let new = registered.withLock { known -> [String] in
            var added: [String] = []
            for type in types where known.insert(type).inserted { added.append(type) }
            return added
        }
        for type in new { node.register(type: type, handler: Self.park) }
    }

    /// Writes the clean-shutdown marker and closes the log.
    func close() async {
        _ = await node.gracefulShutdown(timeout: .zero)
    }
}
