/// Workload 1 for SQLite: the same records inserted into a WAL-mode table
/// indexed on time and partition, one transaction per batch, with the
/// `synchronous` setting matching the durability policy.
struct SQLiteIngest {
    let buffers: CorpusBuffers

    /// Inserts `records` signals in transactions of `batch` into a new
    /// database at `path` and checks that the table holds exactly that many.
    func run(path: String, policy: DurabilityPolicy, batch: Int, records: Int) throws(BenchFailure) -> IngestResult {
        let workload = "SQLite ingest \(policy.sqliteSynchronous) batch \(batch)"
        let db = try SQLiteSignalStore.create(path: path, synchronous: policy.sqliteSynchronous)
        ProcessStats.resetPeakResident()
        let residentBefore = ProcessStats.residentBytes()
        let writtenBefore = ProcessStats.bytesWrittenBySyscalls()
        let seconds = try insert(into: db, batch: batch, records: records)
        let peak = ProcessStats.peakResidentBytes()
        let stored = try db.integer("SELECT count(*) FROM signals")
        let closeStart = Stopwatch.now()
        db.close()
        let closeSeconds = Stopwatch.seconds(since: closeStart)
        let written = ProcessStats.bytesWrittenBySyscalls() - writtenBefore
        try BenchFailure.expect(workload, expected: records, got: Int(stored))
        return IngestResult(
            system: "SQLite", policy: policy, batch: batch, records: records, seconds: seconds,
            closeSeconds: closeSeconds, inputBytes: buffers.corpus.inputBytes(records: records),
            bytesOnDisk: SQLiteSignalStore.bytesOnDisk(path: path), bytesWritten: written, peakResidentBytes: peak, residentBeforeBytes: residentBefore)
    }

    /// The timed part; its prepared statements are finalized on return, so
    /// the caller's close really closes.
    private func insert(into db: SQLiteDatabase, batch: Int, records: Int) throws(BenchFailure) -> Double {
        let insert = try db.prepare(SQLiteSignalStore.insertSQL)
        let begin = try db.prepare("BEGIN")
        let commit = try db.prepare("COMMIT")
        let buffers = self.buffers
        let start = Stopwatch.now()
        var timestamp = Timeline.origin
        var i = 0
        while i < records {
            let first = i, end = min(i + batch, records)
            timestamp += Int64(end - first)
            try SQLiteSignalStore.insertTransaction(first..<end, timestamp: timestamp, buffers: buffers,
                                                    begin: begin, insert: insert, commit: commit)
            i = end
        }
        return Stopwatch.seconds(since: start)
    }
}
