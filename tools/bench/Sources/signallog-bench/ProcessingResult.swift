/// Workload 5's figures: `SignalNode.receive` with a trivial handler against
/// appending the same signal records straight to a log, one per call.
struct ProcessingResult: Codable, Sendable {
    var signals: Int
    /// Signals accepted and handled per second: from the first `receive`
    /// until the handler has run for every signal.
    var receivePerSecond: Double
    /// `receive` calls per second (acceptance only).
    var acceptPerSecond: Double
    /// The same signals through `receive(batch:)` in batches of
    /// ``batchSize``, on a fresh node, until every handler ran: the median
    /// of the rounds, each round's rate, and the median round's CPU per signal.
    var batchSize: Int
    var batchReceivePerSecond: Double
    var batchReceiveRoundsPerSecond: [Double]
    var batchCPUMicrosecondsPerSignal: Double
    /// ``concurrentCallers`` threads calling `receive(_:)` one signal per
    /// call at once (group acceptance shares their appends), on a fresh
    /// node, until every handler ran; and the CPU per signal.
    var concurrentCallers: Int
    var concurrentReceivePerSecond: Double
    var concurrentCPUMicrosecondsPerSignal: Double
    /// The same signal records appended one per call to a plain SegmentLog.
    var appendPerSecond: Double
    /// Latency of one `receive` call (the acknowledgement), in milliseconds.
    var receiveP50Milliseconds: Double
    var receiveP99Milliseconds: Double
    /// Latency of one plain append call, in milliseconds.
    var appendP50Milliseconds: Double
    var appendP99Milliseconds: Double
    /// From `receive` until the handler runs, with signals sent at a steady
    /// pace the node keeps up with (no queueing), in milliseconds.
    var pacedSignals: Int
    var endToEndP50Milliseconds: Double
    var endToEndP99Milliseconds: Double
    /// End-to-end latency minus plain-append latency at the same percentile:
    /// what processing adds to a signal's path.
    var addedP50Milliseconds: Double
    var addedP99Milliseconds: Double
    /// CPU seconds (user + system) per signal, in microseconds.
    var receiveCPUMicrosecondsPerSignal: Double
    var appendCPUMicrosecondsPerSignal: Double
    /// Opening a node on the log the run wrote (projection rebuild with a
    /// dedupe TTL covering the last 1 % of its time span) against a full
    /// scan of that log, in milliseconds; and the records each read.
    var nodeLogRecords: Int
    var nodeOpenMilliseconds: Double
    var nodeOpenRecordsScanned: Int
    var nodeLogFullScanMilliseconds: Double
}
