import SegmentLog
import SignalLog

/// The node `ingest` and `vacuum` open: accept-only
/// (``SignalNodeOptions/processing`` off), so signals it accepts or carries
/// forward, and work already pending in the log, stay pending for the
/// service that owns the log and its handlers.
enum AcceptOnlyNode {
    /// - Parameter writerLock: the log's writer lock when the caller took it
    ///   before reading the log (vacuum); nil to let the open take it.
    static func open(directory: String, dedupeTTL: Duration, writerLock: WriterLock? = nil) throws(CLIError) -> SignalNode {
        var options = SignalNodeOptions()
        options.log.writerLock = writerLock
        options.processing = false
        options.queueCapacity = Int.max / 2
        options.dedupeTTL = dedupeTTL
        options.checkpointInterval = Int.max / 2
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
