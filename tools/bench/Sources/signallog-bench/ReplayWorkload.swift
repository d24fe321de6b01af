import SegmentLog

/// Workload 3: the replay queries on an ingested SignalLog log and on the
/// SQLite database holding the same records, each repeated and reported by
/// its median, with a check that every query returns exactly the expected
/// number of records.
struct ReplayWorkload {
    let repeats: Int

    /// A short query (a few milliseconds) is at the mercy of one scheduler
    /// hiccup on a shared machine, so it runs at least ``repeats`` times and
    /// until its runs add up to ``minimumSeconds`` (at most ``maximumRuns``):
    /// its median then rests on many runs, as a long query's does on a long run.
    static let minimumSeconds = 0.25
    static let maximumRuns = 100

    static func wantsAnotherRun(after runs: Int, totals: [Double], repeats: Int) -> Bool {
        runs < repeats || (runs < maximumRuns && totals.reduce(0, +) < minimumSeconds)
    }

    /// `timeAxis`: whether the queries' times are append times or event times.
    func runSignalLog(directory: String, queries: [ReplayQuery], keys: [String], timeAxis: TimeAxis = .append) throws(BenchFailure) -> [ReplayResult] {
        do {
            let log = try SegmentLog.openReadOnly(directory: directory)
            defer { try? log.close() }
            let segments = log.segments()
            let storedBytes = segments.reduce(0) { $0 + Int($1.fileBytes) }
            let storedRecords = segments.reduce(0) { $0 + Int($1.recordCount) }
            let bytesPerRecord = Double(storedBytes) / Double(max(1, storedRecords))
            var results: [ReplayResult] = []
            for query in queries {
                let logQuery = LogQuery(
                    since: query.since, until: query.until,
                    partitions: query.partition.map { [keys[$0]] }, timeAxis: timeAxis)
                var firsts: [Double] = [], totals: [Double] = []
                var bytesRead = 0
                var run = 0
                while Self.wantsAnotherRun(after: run, totals: totals, repeats: repeats) {
                    defer { run += 1 }
                    let start = Stopwatch.now()
                    let reader = log.read(logQuery)
                    var count = 0, bytes = 0
                    var first = 0.0
                    while let record = try reader.next() {
                        if count == 0 { first = Stopwatch.seconds(since: start) }
                        count += 1
                        bytes &+= record.payload.count &+ record.partition.utf8.count
                    }
                    totals.append(Stopwatch.seconds(since: start))
                    blackHole(bytes)
                    firsts.append(first)
                    if run == 0 { bytesRead = Int(reader.statistics.bytesRead) }
                    try BenchFailure.expect("SignalLog replay \(query.name)", expected: query.expected, got: count)
                }
                results.append(Self.result("SignalLog", query, firsts, totals, bytesRead: bytesRead,
                                           windowBytes: Int(Double(query.expected) * bytesPerRecord)))
            }
            return results
        } catch let failure as BenchFailure {
            throw failure
        } catch {
            throw .engine(workload: "SignalLog replay", error: error)
        }
    }

    func runSQLite(path: String, queries: [ReplayQuery], buffers: CorpusBuffers) throws(BenchFailure) -> [ReplayResult] {
        let db = try SQLiteSignalStore.open(path: path)
        defer { db.close() }
        let pages = try db.integer("PRAGMA page_count") * db.integer("PRAGMA page_size")
        let total = try Int(db.integer("SELECT count(*) FROM signals"))
        let bytesPerRecord = Double(pages) / Double(max(1, total))
        let columns = "seq, ts, kind, partition, payload"
        var results: [ReplayResult] = []
        for query in queries {
            var conditions: [String] = []
            var parameter: Int32 = 1
            if query.partition != nil { conditions.append("partition = ?\(parameter)"); parameter += 1 }
            if query.since != nil { conditions.append("ts >= ?\(parameter)"); parameter += 1 }
            if query.until != nil { conditions.append("ts < ?\(parameter)"); parameter += 1 }
            let sql = conditions.isEmpty
                ? "SELECT \(columns) FROM signals ORDER BY seq"
                : "SELECT \(columns) FROM signals WHERE \(conditions.joined(separator: " AND ")) ORDER BY ts, seq"
            var firsts: [Double] = [], totals: [Double] = []
            var bytesRead = 0
            var run = 0
            while Self.wantsAnotherRun(after: run, totals: totals, repeats: repeats) {
                defer { run += 1 }
                let readBefore = ProcessStats.bytesReadBySyscalls()
                let start = Stopwatch.now()
                let statement = try db.prepare(sql)
                var index: Int32 = 1
                if let partition = query.partition { statement.bindText(index, buffers.keyBytes(partition)); index += 1 }
                if let since = query.since { statement.bind(index, since); index += 1 }
                if let until = query.until { statement.bind(index, until); index += 1 }
                var count = 0, bytes = 0, sum: Int64 = 0
                var first = 0.0
                while try statement.step() {
                    if count == 0 { first = Stopwatch.seconds(since: start) }
                    count += 1
                    sum &+= statement.int64(0) &+ statement.int64(1) &+ statement.int64(2)
                    bytes &+= statement.bytes(3).count &+ statement.bytes(4).count
                }
                totals.append(Stopwatch.seconds(since: start))
                blackHole(bytes &+ Int(truncatingIfNeeded: sum))
                firsts.append(first)
                // The first run's figure: later ones find pages in SQLite's own cache.
                if run == 0 { bytesRead = ProcessStats.bytesReadBySyscalls() - readBefore }
                try BenchFailure.expect("SQLite replay \(query.name)", expected: query.expected, got: count)
            }
            results.append(Self.result("SQLite", query, firsts, totals, bytesRead: bytesRead,
                                       windowBytes: Int(Double(query.expected) * bytesPerRecord)))
        }
        return results
    }

    private static func result(
        _ system: String, _ query: ReplayQuery, _ firsts: [Double], _ totals: [Double], bytesRead: Int, windowBytes: Int
    ) -> ReplayResult {
        let total = Percentiles(totals).value(at: 0.5)
        return ReplayResult(
            system: system, query: query.name, records: query.expected,
            firstRecordMilliseconds: Percentiles(firsts).value(at: 0.5) * 1000,
            totalMilliseconds: total * 1000,
            recordsPerSecond: Double(query.expected) / max(total, 1e-9),
            bytesRead: bytesRead, windowBytes: windowBytes)
    }
}
