import SegmentLog

/// Workload 4 (storage): what it costs to start on a log of N signals.
///
/// - open: `SegmentLog.open` (writable), which trusts sealed segments through
///   their index files and scans only the active segment;
/// - open + tail: open, then read the records of the last 1 % of the log's
///   time span — what rebuilding a dedupe set with a TTL covering that span
///   reads through the time index;
/// - full scan: open, then read every record — what rebuilding projections
///   would cost without indexes and summaries.
struct StartupWorkload {
    struct Result: Codable, Sendable {
        var records: Int
        var segments: Int
        /// Bytes of the active (unsealed) segment, which open scans.
        var activeSegmentBytes: Int
        var openMilliseconds: Double
        var tailRecords: Int
        var openAndTailMilliseconds: Double
        var fullScanMilliseconds: Double
        /// (open + tail) / full scan: the startup target's ratio.
        var startupFraction: Double
        /// open / full scan.
        var openFraction: Double
    }

    let repeats: Int

    func run(directory: String, records: Int, batch: Int) throws(BenchFailure) -> Result {
        let last = Timeline.timestamp(ofRecord: records - 1, batch: batch, total: records)
        let firstStamp = Timeline.timestamp(ofRecord: 0, batch: batch, total: records)
        let cutoff = last - (last - firstStamp) / 100
        var tailExpected = 0
        for i in 0..<records where Timeline.timestamp(ofRecord: i, batch: batch, total: records) >= cutoff { tailExpected += 1 }

        var opens: [Double] = [], tails: [Double] = [], scans: [Double] = []
        var segmentCount = 0, activeBytes = 0
        for _ in 0..<repeats {
            var start = Stopwatch.now()
            var log = try engine("startup open") { () throws(SegmentLogError) in try SegmentLog.open(directory: directory) }
            opens.append(Stopwatch.seconds(since: start))
            let segments = log.segments()
            segmentCount = segments.count
            activeBytes = Int(segments.last(where: { !$0.isSealed })?.fileBytes ?? 0)
            let opened = Int(log.nextSequence)
            try engine("startup open") { () throws(SegmentLogError) in try log.close() }
            try BenchFailure.expect("startup open", expected: records, got: opened)

            start = Stopwatch.now()
            log = try engine("startup tail read") { () throws(SegmentLogError) in try SegmentLog.open(directory: directory) }
            let tail = try engine("startup tail read") { () throws(SegmentLogError) in try Self.drain(log.read(LogQuery(since: cutoff))) }
            tails.append(Stopwatch.seconds(since: start))
            try engine("startup tail read") { () throws(SegmentLogError) in try log.close() }
            try BenchFailure.expect("startup tail read", expected: tailExpected, got: tail)

            start = Stopwatch.now()
            log = try engine("startup full scan") { () throws(SegmentLogError) in try SegmentLog.open(directory: directory) }
            let all = try engine("startup full scan") { () throws(SegmentLogError) in try Self.drain(log.read(LogQuery())) }
            scans.append(Stopwatch.seconds(since: start))
            try engine("startup full scan") { () throws(SegmentLogError) in try log.close() }
            try BenchFailure.expect("startup full scan", expected: records, got: all)
        }
        let open = Percentiles(opens).value(at: 0.5), tail = Percentiles(tails).value(at: 0.5)
        let scan = Percentiles(scans).value(at: 0.5)
        return Result(
            records: records, segments: segmentCount, activeSegmentBytes: activeBytes,
            openMilliseconds: open * 1000, tailRecords: tailExpected, openAndTailMilliseconds: tail * 1000,
            fullScanMilliseconds: scan * 1000, startupFraction: tail / scan, openFraction: open / scan)
    }

    /// Reads every record of `reader`, touching each payload; returns the count.
    static func drain(_ reader: LogReader) throws(SegmentLogError) -> Int {
        var count = 0, bytes = 0
        while let record = try reader.next() {
            count += 1
            bytes &+= record.payload.count
        }
        blackHole(bytes)
        return count
    }
}
