/// The command line: which workloads to run, how big, and where output goes.
struct BenchOptions: Sendable {
    enum Workload: String, CaseIterable, Sendable {
        case ingest, bounds, replay, startup, processing
        /// The event-time window on a log of out-of-order timestamps (its own ingest).
        case eventtime
    }

    /// Signals in the main log (workloads 1, 3, 4).
    var signals = 2_000_000
    /// A small run for CI: few signals, one repeat.
    var quick = false
    /// Print the results as JSON instead of a table.
    var json = false
    /// Where logs and databases are created (removed afterwards).
    var directory: String?
    /// Where the results file goes; nil = tools/bench/results.
    var resultsDirectory: String?
    var writeResults = true
    var workloads = Set(Workload.allCases)
    /// Repeats of each query / open; the median is reported.
    var repeats = 3
    /// Flush interval of the `interval` policy, in milliseconds.
    var intervalMilliseconds = 100
    /// Most append calls an `os`/`interval` configuration makes (batches of 1 are capped by this).
    var maxCalls = 200_000
    /// Most append calls an `always` configuration makes (each waits for an fdatasync).
    var maxSyncedCalls = 500
    /// Only the os/1000 ingest (the log replay and startup read), not the whole matrix.
    var mainIngestOnly = false
    /// Skip SQLite (for profiling SignalLog alone).
    var sqlite = true
    /// Threads in the concurrent `always` ingest (group commit); 1 skips it.
    var writers = 4
    /// Signals the processing workload receives.
    var processingSignals = 200_000

    static let usage = """
        signallog-bench — SignalLog against SQLite and against this machine's limits

        usage: swift run -c release --package-path tools/bench signallog-bench [options]

          --quick              small run (20,000 signals, 1 repeat) for CI; fails only if a
                               workload returns wrong results, never on timing
          --signals N          signals in the ingested log (default 2,000,000)
          --json               print the results as JSON instead of a table
          --dir PATH           scratch directory for logs and databases (default: a new
                               directory under $TMPDIR or /tmp, removed afterwards)
          --results-dir PATH   where to write <date>-<commit>.json (default tools/bench/results)
          --no-results         do not write a results file
          --only LIST          comma-separated workloads: ingest,bounds,replay,startup,processing,eventtime
          --repeats N          repeats of each query and open; medians are reported (default 3)
          --interval-ms N      flush interval of the `interval` policy (default 100)
          --max-calls N        cap on append calls per os/interval configuration (default 200,000)
          --max-synced-calls N cap on append calls per always/FULL configuration (default 500)
          --main-only          ingest only the os/1000 log (no matrix, no concurrent writers)
          --no-sqlite          skip SQLite (for profiling SignalLog alone)
          --writers N          threads in the concurrent always/FULL ingest (default 4; 1 skips it)
          --processing-signals N  signals received in the processing workload (default 200,000)
          -h, --help           this text

        helper modes of tools/bench/ingest-path.sh:
          --generate-ndjson N FILE [--seed S]  write N signals as NDJSON (about 350 bytes a
                               line, 1,000 partitions, every line distinct)
          --sqlite-import FILE DB   import an NDJSON file of signals into SQLite (parsed
                               with JSONSerialization, one transaction per 1,000 rows)
          --decode-lines FILE [--repeats R]  time decoding every line of an import file,
                               the JSONValue tree path against SignalLineDecoder
        """

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws(BenchFailure) -> BenchOptions? {
        var options = BenchOptions()
        var explicitSignals = false, explicitRepeats = false, explicitProcessing = false
        var rest = arguments[...]
        func value(_ flag: String) throws(BenchFailure) -> String {
            guard let next = rest.popFirst() else { throw .usage("\(flag) needs a value") }
            return next
        }
        func number(_ flag: String) throws(BenchFailure) -> Int {
            let text = try value(flag)
            guard let n = Int(text.replacingUnderscores()), n > 0 else { throw .usage("\(flag) needs a positive integer, not '\(text)'") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--quick": options.quick = true
            case "--json": options.json = true
            case "--signals": options.signals = try number(argument); explicitSignals = true
            case "--dir": options.directory = try value(argument)
            case "--results-dir": options.resultsDirectory = try value(argument)
            case "--no-results": options.writeResults = false
            case "--repeats": options.repeats = try number(argument); explicitRepeats = true
            case "--interval-ms": options.intervalMilliseconds = try number(argument)
            case "--max-calls": options.maxCalls = try number(argument)
            case "--max-synced-calls": options.maxSyncedCalls = try number(argument)
            case "--main-only": options.mainIngestOnly = true
            case "--no-sqlite": options.sqlite = false
            case "--writers": options.writers = try number(argument)
            case "--processing-signals": options.processingSignals = try number(argument); explicitProcessing = true
            case "--only":
                var chosen = Set<Workload>()
                for name in try value(argument).split(separator: ",") {
                    guard let workload = Workload(rawValue: String(name)) else {
                        throw .usage("unknown workload '\(name)'; choose from \(Workload.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    chosen.insert(workload)
                }
                options.workloads = chosen
            case "-h", "--help": return nil
            default: throw .usage("unknown argument '\(argument)'")
            }
        }
        if options.quick {
            if !explicitSignals { options.signals = 20_000 }
            if !explicitRepeats { options.repeats = 1 }
            if !explicitProcessing { options.processingSignals = 5_000 }
            options.maxSyncedCalls = min(options.maxSyncedCalls, 100)
        }
        if options.workloads.contains(.replay) || options.workloads.contains(.startup) {
            // Replay and startup read the log that the os/1000 ingest writes.
            options.workloads.insert(.ingest)
        }
        return options
    }

    /// Records an ingest configuration appends: all signals, unless the
    /// number of calls would exceed the cap for its policy.
    func records(policy: DurabilityPolicy, batch: Int) -> Int {
        let calls = policy == .always ? maxSyncedCalls : maxCalls
        return min(signals, calls * batch)
    }
}

extension String {
    /// "2_000_000" and "2,000,000" read as 2000000.
    func replacingUnderscores() -> String { String(filter { $0 != "_" && $0 != "," }) }
}
