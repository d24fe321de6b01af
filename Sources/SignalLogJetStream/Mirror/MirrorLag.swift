import Metrics
import SegmentLog

/// How far a mirror is behind its log: the records the log holds that the
/// stream does not, and the append-time distance between the log's newest
/// record and the newest one mirrored (docs/jetstream.md, "Lag").
public struct MirrorLag: Sendable, Equatable {
    /// Records in the log after the last one mirrored.
    public var records: UInt64
    /// The log's newest append time minus that of the newest mirrored
    /// record, seconds; 0 when nothing is behind.
    public var seconds: Double

    public init(records: UInt64, seconds: Double) {
        self.records = records
        self.seconds = seconds
    }

    /// The lag of a stream that holds the log up to `mirroredNext - 1`, the
    /// newest of those appended at `mirroredTime` (nil when it holds none:
    /// measured from the log's first record then).
    public static func of(_ log: SegmentLog, mirroredNext: UInt64, mirroredTime: Int64?) throws(SegmentLogError) -> MirrorLag {
        let logNext = log.nextSequence
        guard mirroredNext < logNext else { return MirrorLag(records: 0, seconds: 0) }
        let behind = logNext - max(mirroredNext, log.firstSequence)
        // The newest record's own time (a read-only log's refresh sees new
        // batches, not the writer's clock).
        guard let newest = try log.read(LogQuery(fromSequence: logNext - 1)).next()?.timestamp else {
            return MirrorLag(records: behind, seconds: 0)
        }
        var since = mirroredTime
        if since == nil {
            // Nothing mirrored: the lag runs from the oldest record unshipped.
            since = try log.read(LogQuery(fromSequence: max(mirroredNext, log.firstSequence))).next()?.timestamp
        }
        return MirrorLag(records: behind, seconds: Double(max(0, newest - (since ?? newest))) / 1e6)
    }
}

/// The swift-metrics gauges of one mirror: `signallog_mirror_lag_records`
/// and `signallog_mirror_lag_seconds`, with dimensions `log` and `stream`.
struct MirrorMetrics: Sendable {
    let records: Gauge
    let seconds: Gauge

    init(logID: String, stream: String, factory: any MetricsFactory) {
        let dimensions = [("log", logID), ("stream", stream)]
        records = Gauge(label: "signallog_mirror_lag_records", dimensions: dimensions, factory: factory)
        seconds = Gauge(label: "signallog_mirror_lag_seconds", dimensions: dimensions, factory: factory)
    }

    func record(_ lag: MirrorLag) {
        records.record(Int64(clamping: lag.records))
        seconds.record(lag.seconds)
    }
}
