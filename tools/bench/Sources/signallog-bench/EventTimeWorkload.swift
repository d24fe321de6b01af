import SegmentLog

/// Workload 3b: event-time replay. The main corpus ingested as signals of a
/// day whose own timestamps arrive out of order by up to five minutes (each
/// signal created up to 5 min before its place in arrival order), into a
/// SignalLog log (event time per record, os/1000) and a SQLite table whose
/// indexed `ts` is that event time. Then the 1 % event-time window from the
/// middle of the day on both, counted exactly against the generator, with
/// SignalLog's bytes read against the window's bytes.
struct EventTimeWorkload {
    let buffers: CorpusBuffers
    let repeats: Int

    /// The day the events span, microseconds.
    static let span: Int64 = 86_400_000_000
    /// How far a signal's timestamp may lie before its place in arrival order.
    static let maximumLateness: Int64 = 300_000_000
    static let origin: Int64 = Timeline.origin - span

    /// The event time of record `i` of `total`: spread evenly over the day,
    /// minus a lateness drawn from a seeded generator (the same on both sides).
    static func eventTime(ofRecord i: Int, total: Int) -> Int64 {
        var mix = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
        mix = (mix ^ (mix >> 31)) &* 0xBF58_476D_1CE4_E5B9
        mix ^= mix >> 29
        let lateness = Int64(mix % UInt64(maximumLateness))
        return origin + Int64(Double(span) * Double(i) / Double(total)) - lateness
    }

    /// The window and how many records fall in it.
    static func window(total: Int) -> (since: Int64, until: Int64, expected: Int) {
        let since = origin + span / 2, until = since + span / 100
        var expected = 0
        for i in 0..<total {
            let t = eventTime(ofRecord: i, total: total)
            if t >= since && t < until { expected += 1 }
        }
        return (since, until, expected)
    }

    func run(directory: String, sqlitePath: String?, records: Int) throws(BenchFailure) -> [ReplayResult] {
        let (since, until, expected) = Self.window(total: records)
        let query = ReplayQuery(name: "event-time window 1%", since: since, until: until, partition: nil, expected: expected)
        var results: [ReplayResult] = []
        try ingestSignalLog(directory: directory, records: records)
        results += try ReplayWorkload(repeats: repeats).runSignalLog(directory: directory, queries: [query], keys: buffers.keys, timeAxis: .event)
        if let sqlitePath {
            try ingestSQLite(path: sqlitePath, records: records)
            results += try ReplayWorkload(repeats: repeats).runSQLite(path: sqlitePath, queries: [query], buffers: buffers)
        }
        return results
    }

    private func ingestSignalLog(directory: String, records: Int) throws(BenchFailure) {
        let workload = "SignalLog event-time ingest"
        let clock = ManualClock(microseconds: Timeline.origin)
        var options = LogOptions()
        options.clock = clock
        let buffers = self.buffers
        do {
            let log = try SegmentLog.open(directory: directory, options: options)
            var i = 0
            while i < records {
                let first = i, end = min(i + 1000, records)
                clock.advance(byMicroseconds: Int64(end - first))
                try log.appendBatch { (builder) throws(SegmentLogError) in
                    for j in first..<end {
                        try builder.add(kind: 1, partition: buffers.keys[buffers.partition(j)], payload: buffers.payload(j),
                                        eventTime: Self.eventTime(ofRecord: j, total: records))
                    }
                }
                i = end
            }
            try log.close()
        } catch {
            throw .engine(workload: workload, error: error)
        }
    }

    private func ingestSQLite(path: String, records: Int) throws(BenchFailure) {
        let db = try SQLiteSignalStore.create(path: path, synchronous: "NORMAL")
        defer { db.close() }
        try insert(into: db, records: records)
    }

    /// The inserts; the prepared statements are finalized on return, so the caller's close really closes.
    private func insert(into db: SQLiteDatabase, records: Int) throws(BenchFailure) {
        let insert = try db.prepare(SQLiteSignalStore.insertSQL)
        let begin = try db.prepare("BEGIN")
        let commit = try db.prepare("COMMIT")
        var i = 0
        while i < records {
            let end = min(i + 1000, records)
            try begin.run()
            for j in i..<end {
                insert.bind(1, Self.eventTime(ofRecord: j, total: records))
                insert.bind(2, 1)
                insert.bindText(3, buffers.keyBytes(buffers.partition(j)))
                insert.bindBlob(4, buffers.payload(j))
                try insert.run()
            }
            try commit.run()
            i = end
        }
    }
}
