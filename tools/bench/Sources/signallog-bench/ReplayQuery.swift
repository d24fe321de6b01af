/// The queries of workload 3, each over the same ingested data in both
/// systems: a 1 % time window from the middle of the log, one partition
/// over all time, that partition inside the window, and everything.
struct ReplayQuery: Sendable {
    var name: String
    /// Inclusive lower and exclusive upper append time, or nil for no bound.
    var since: Int64?
    var until: Int64?
    /// Partition key index into the corpus, or nil for all partitions.
    var partition: Int?
    /// Records that must come back (computed from the generator, not from either system).
    var expected: Int

    /// The four queries for a log of `records` records appended in batches of `batch`.
    static func standard(buffers: CorpusBuffers, records: Int, batch: Int) -> [ReplayQuery] {
        let width = max(1, records / 100)
        let since = Timeline.origin + Int64(records / 2)
        let until = since + Int64(width)
        let partition = buffers.partition(0)
        var inWindow = 0, inPartition = 0, inBoth = 0
        for i in 0..<records {
            let ts = Timeline.timestamp(ofRecord: i, batch: batch, total: records)
            let windowHit = ts >= since && ts < until
            let partitionHit = buffers.partition(i) == partition
            if windowHit { inWindow += 1 }
            if partitionHit { inPartition += 1 }
            if windowHit && partitionHit { inBoth += 1 }
        }
        return [
            ReplayQuery(name: "time window 1%", since: since, until: until, partition: nil, expected: inWindow),
            ReplayQuery(name: "one partition", since: nil, until: nil, partition: partition, expected: inPartition),
            ReplayQuery(name: "partition in 1% window", since: since, until: until, partition: partition, expected: inBoth),
            ReplayQuery(name: "everything", since: nil, until: nil, partition: nil, expected: records),
        ]
    }
}

/// One query's measurement on one system (medians over the repeats).
struct ReplayResult: Codable, Sendable {
    var system: String
    var query: String
    var records: Int
    /// Time from issuing the query to holding the first record.
    var firstRecordMilliseconds: Double
    /// Time from issuing the query to the last record.
    var totalMilliseconds: Double
    var recordsPerSecond: Double
    /// Bytes fetched from files (SignalLog: the reader's statistics; SQLite: `rchar` of /proc/self/io).
    var bytesRead: Int
    /// The window's share of the stored bytes (matching records × stored bytes per record, from the segment summaries).
    var windowBytes: Int
}
