#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs the chosen workloads in a fixed order on one scratch directory and
/// gathers the report:
/// machine bounds → ingest `os`/1000 on both systems (kept) → replay and
/// startup on those → the rest of the ingest matrix → processing.
struct BenchRunner {
    let options: BenchOptions

    func run() async throws(BenchFailure) -> BenchReport {
        let started = Stopwatch.now()
        let dates = RunInfo.dates()
        let corpus = SignalCorpus()
        let buffers = CorpusBuffers(corpus)
        var report = BenchReport(
            date: dates.timestamp, commit: RunInfo.commit(),
            command: (["signallog-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
            quick: options.quick, signals: options.signals,
            machine: .init(cpu: ProcessStats.cpuDescription(), memoryGiB: ProcessStats.memoryGiB(), kernel: RunInfo.kernel(),
                           loadBefore: ProcessStats.loadAverage(), loadAfter: ""),
            corpus: .init(templates: corpus.count, partitions: corpus.partitionKeys.count, meanPayloadBytes: corpus.meanPayloadBytes))

        let scratch = options.directory ?? ((ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/signallog-bench-\(getpid())")
        DirectorySize.remove(scratch)
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            throw .io(operation: "create directory", path: scratch, errno: errno)
        }
        defer { DirectorySize.remove(scratch) }
        let want = options.workloads

        if want.contains(.bounds) {
            progress("machine bounds")
            Self.flushDisks()
            report.bounds = try MachineBounds(buffers: buffers).run(
                directory: scratch, batchSize: 1000, records: options.signals, syncedBatches: options.maxSyncedCalls, repeats: options.repeats)
        }

        let signalLogIngest = SegmentLogIngest(buffers: buffers, intervalMilliseconds: options.intervalMilliseconds)
        let sqliteIngest = SQLiteIngest(buffers: buffers)
        var matrix: [(DurabilityPolicy, Int)] = []
        for policy in DurabilityPolicy.allCases { for batch in [1000, 100, 1] { matrix.append((policy, batch)) } }
        if want.contains(.ingest) {
            // The os/1000 pair first: its log and database serve replay and startup.
            let logDirectory = scratch + "/log-main", dbPath = scratch + "/main.sqlite"
            let records = options.records(policy: .os, batch: 1000)
            progress("ingest os batch 1000: SignalLog, SQLite (\(records) records)")
            Self.flushDisks()
            // The headline configuration runs `repeats` times (a few seconds
            // each); the median is reported and the last log is kept.
            var runs: [IngestResult] = []
            for run in 0..<options.repeats {
                if run > 0 { DirectorySize.remove(logDirectory) }
                runs.append(try signalLogIngest.run(directory: logDirectory, policy: .os, batch: 1000, records: records))
                Self.flushDisks()
            }
            report.ingest.append(IngestResult.median(runs))
            if options.sqlite {
                Self.flushDisks()
                report.ingest.append(try sqliteIngest.run(path: dbPath, policy: .os, batch: 1000, records: records))
            }
            Self.flushDisks()
            if want.contains(.replay) {
                progress("replay queries")
                let queries = ReplayQuery.standard(buffers: buffers, records: records, batch: 1000)
                let replay = ReplayWorkload(repeats: options.repeats)
                report.replay += try replay.runSignalLog(directory: logDirectory, queries: queries, keys: buffers.keys)
                if options.sqlite {
                    report.replay += try replay.runSQLite(path: dbPath, queries: queries, buffers: buffers)
                }
            }
            if want.contains(.startup) {
                progress("startup")
                report.startup = try StartupWorkload(repeats: options.repeats).run(directory: logDirectory, records: records, batch: 1000)
            }
            DirectorySize.remove(logDirectory)
            SQLiteSignalStore.remove(path: dbPath)

            for (policy, batch) in matrix where !(policy == .os && batch == 1000) && !options.mainIngestOnly {
                let records = options.records(policy: policy, batch: batch)
                progress("ingest \(policy.rawValue) batch \(batch): SignalLog, SQLite (\(records) records)")
                let directory = scratch + "/log-\(policy.rawValue)-\(batch)", path = scratch + "/\(policy.rawValue)-\(batch).sqlite"
                Self.flushDisks()
                report.ingest.append(try signalLogIngest.run(directory: directory, policy: policy, batch: batch, records: records))
                DirectorySize.remove(directory)
                if options.sqlite {
                    Self.flushDisks()
                    report.ingest.append(try sqliteIngest.run(path: path, policy: policy, batch: batch, records: records))
                    SQLiteSignalStore.remove(path: path)
                }
            }
            if options.writers > 1 && !options.mainIngestOnly {
                let records = options.records(policy: .always, batch: 1000)
                progress("ingest always batch 1000 × \(options.writers) writers: SignalLog, SQLite (\(records) records)")
                let concurrent = ConcurrentIngest(buffers: buffers)
                let directory = scratch + "/log-concurrent", path = scratch + "/concurrent.sqlite"
                Self.flushDisks()
                report.ingest.append(try concurrent.runSignalLog(directory: directory, batch: 1000, writers: options.writers, records: records))
                DirectorySize.remove(directory)
                if options.sqlite {
                    Self.flushDisks()
                    report.ingest.append(try concurrent.runSQLite(path: path, batch: 1000, writers: options.writers, records: records))
                    SQLiteSignalStore.remove(path: path)
                }
            }
            report.ingest.sort { ($0.policy.order, $0.writers, -$0.batch, $0.system) < ($1.policy.order, $1.writers, -$1.batch, $1.system) }
        }

        if want.contains(.eventtime) {
            progress("event-time window (\(options.signals) records, timestamps up to 5 min out of order)")
            let directory = scratch + "/log-event", path = scratch + "/event.sqlite"
            Self.flushDisks()
            report.replay += try EventTimeWorkload(buffers: buffers, repeats: options.repeats)
                .run(directory: directory, sqlitePath: options.sqlite ? path : nil, records: options.signals)
            DirectorySize.remove(directory)
            SQLiteSignalStore.remove(path: path)
        }

        if want.contains(.processing) {
            progress("processing")
            do {
                report.processing = try await ProcessingWorkload(buffers: buffers, options: options).run(directory: scratch + "/node")
            } catch let failure as BenchFailure {
                throw failure
            } catch {
                throw .engine(workload: "processing", error: error)
            }
        }

        report.ratios = Targets.ratios(report)
        report.targets = Targets.check(report)
        report.machine.loadAfter = ProcessStats.loadAverage()
        report.totalSeconds = Stopwatch.seconds(since: started)
        return report
    }

    /// Writes dirty pages out (untimed) so one measurement does not pay for
    /// the previous one's writeback.
    static func flushDisks() { Glibc.sync() }

    func progress(_ text: String) {
        FileHandle.standardError.write(Data("[bench] \(text)\n".utf8))
    }
}

extension DurabilityPolicy {
    var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}
