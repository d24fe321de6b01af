/// Workload 5's figures: `SignalNode.receive` with a trivial handler against
/// appending the same records straight to a log.
struct ProcessingResult: Codable, Sendable {
    var signals: Int
    /// Signals accepted and handled per second (receive until every handler ran).
    var receivePerSecond: Double
    /// The same records appended one per call to a plain SegmentLog.
    var appendPerSecond: Double
    /// Latency of one receive call (accepted and handled), in milliseconds.
    var receiveP50Milliseconds: Double
    var receiveP99Milliseconds: Double
    /// Latency of one plain append call, in milliseconds.
    var appendP50Milliseconds: Double
    var appendP99Milliseconds: Double
    /// receive latency minus append latency, at the same percentile.
    var addedP50Milliseconds: Double
    var addedP99Milliseconds: Double
    /// CPU seconds (user + system) per signal.
    var receiveCPUMicrosecondsPerSignal: Double
    var appendCPUMicrosecondsPerSignal: Double
    /// Time to open a node on the log the run wrote (projection rebuild), and
    /// the same log's full scan, in milliseconds.
    var nodeOpenMilliseconds: Double?
    var nodeLogFullScanMilliseconds: Double?
    var notes: [String] = []
}
