import SegmentLog

/// Workload 1 for SignalLog: appends generated signals to a fresh log in
/// batches through the zero-copy `appendBatch`, under one durability policy.
struct SegmentLogIngest {
    let buffers: CorpusBuffers
    let intervalMilliseconds: Int

    /// Appends `records` signals in batches of `batch` to a new log in
    /// `directory` and checks that the log holds exactly that many.
    func run(directory: String, policy: DurabilityPolicy, batch: Int, records: Int) throws(BenchFailure) -> IngestResult {
        let workload = "SignalLog ingest \(policy.rawValue) batch \(batch)"
        let clock = ManualClock(microseconds: Timeline.origin)
        var options = LogOptions()
        options.durability = policy.segmentLog(intervalMilliseconds: intervalMilliseconds)
        options.clock = clock
        let log = try engine(workload) { () throws(SegmentLogError) in try SegmentLog.open(directory: directory, options: options) }
        ProcessStats.resetPeakResident()
        let residentBefore = ProcessStats.residentBytes()
        let writtenBefore = ProcessStats.bytesWrittenBySyscalls()
        let seconds: Double
        do {
            seconds = try append(to: log, clock: clock, batch: batch, records: records)
        } catch {
            throw .engine(workload: workload, error: error)
        }
        return try Self.finish(
            log, workload: workload, buffers: buffers, directory: directory, policy: policy, batch: batch, writers: 1,
            records: records, seconds: seconds, writtenBefore: writtenBefore, residentBefore: residentBefore)
    }

    /// Closes a log after its timed appends, checks it holds `records`
    /// records and gathers the figures of one ingest row (shared by the
    /// one-writer and the concurrent workloads).
    static func finish(
        _ log: SegmentLog, workload: String, buffers: CorpusBuffers, directory: String, policy: DurabilityPolicy,
        batch: Int, writers: Int, records: Int, seconds: Double, writtenBefore: Int, residentBefore: Int
    ) throws(BenchFailure) -> IngestResult {
        let peak = ProcessStats.peakResidentBytes()
        let stored = Int(log.nextSequence)
        let closeStart = Stopwatch.now()
        try engine(workload) { () throws(SegmentLogError) in try log.close() }
        let closeSeconds = Stopwatch.seconds(since: closeStart)
        let written = ProcessStats.bytesWrittenBySyscalls() - writtenBefore
        try BenchFailure.expect(workload, expected: records, got: stored)
        return IngestResult(
            system: "SignalLog", policy: policy, batch: batch, writers: writers, records: records, seconds: seconds,
            closeSeconds: closeSeconds, inputBytes: buffers.corpus.inputBytes(records: records),
            bytesOnDisk: DirectorySize.bytes(in: directory), bytesWritten: written, peakResidentBytes: peak, residentBeforeBytes: residentBefore)
    }

    /// The timed loop: one `appendBatch` per batch, the clock stepped one
    /// microsecond per record before each. (Untyped `throws`: Swift 6.3 does
    /// not accept a call of `appendBatch` with a closure literal inside a
    /// function that throws `SegmentLogError` only.)
    private func append(to log: SegmentLog, clock: ManualClock, batch: Int, records: Int) throws -> Double {
        let buffers = self.buffers
        let keys = buffers.keys
        let start = Stopwatch.now()
        var i = 0
        while i < records {
            let first = i, end = min(i + batch, records)
            clock.advance(byMicroseconds: Int64(end - first))
            try log.appendBatch { (builder) throws(SegmentLogError) in
                var j = first
                while j < end {
                    try builder.add(kind: 1, partition: keys[buffers.partition(j)], payload: buffers.payload(j))
                    j += 1
                }
            }
            i = end
        }
        return Stopwatch.seconds(since: start)
    }
}
