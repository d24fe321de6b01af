import SegmentLog
import SignalLog

/// The node `ingest` and `vacuum` open: accept-only
/// (``SignalNodeOptions/processing`` off), so signals it accepts or carries
/// forward, and work already pending in the log, stay pending for the
/// service that owns the log and its handlers. Its capacity is unbounded:
/// pending work beyond the node's window stays in the log, not in memory.
enum AcceptOnlyNode {
    /// Records between the periodic checkpoints of an ingest.
    static let checkpointInterval = 100_000

    /// - Parameters:
    ///   - writerLock: the log's writer lock when the caller took it
    ///     before reading the log (vacuum); nil to let the open take it.
    ///   - segmentMaxBytes: the segment size to seal at (`ingest --segment-size`);
    ///     nil keeps the engine's default.
    static func open(directory: String, dedupeTTL: Duration, writerLock: WriterLock? = nil,
                     segmentMaxBytes: Int64? = nil) throws(CLIError) -> SignalNode {
        var options = SignalNodeOptions()
        options.log.writerLock = writerLock
        if let segmentMaxBytes { options.log.segmentMaxBytes = segmentMaxBytes }
        options.processing = false
        options.queueCapacity = Int.max / 2
        options.dedupeTTL = dedupeTTL
        // Checkpoints record pending work as positions and counts, so one
        // every so often keeps `info` and the next open reading only the
        // tail; gracefulShutdown writes the last one (docs/signals.md).
        options.checkpointInterval = Self.checkpointInterval
        options.logger.logLevel = .critical
        do {
            return try SignalNode.open(nodeID: "signallog-cli", directory: directory, options: options)
        } catch let error as SegmentLogError {
            throw CLIError.from(error, directory: directory)
        } catch let error as SignalNodeError {
            throw CLIError("cannot read the pending work in \(directory): \(error) (run `signallog verify \(directory)`)", exitCode: ExitStatus.failure)
        } catch {
            throw CLIError("cannot open \(directory) for writing: \(error)", exitCode: ExitStatus.failure)
        }
    }
}
