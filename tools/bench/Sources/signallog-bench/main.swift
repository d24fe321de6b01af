#if canImport(Glibc)
import Glibc
#endif
import Foundation

// signallog-bench: runs the benchmark workloads of issue 5 and prints a table
// (or JSON). Exits 1 when a workload does not run correctly, 2 on a bad
// command line; timing never makes it fail.

// Helper modes for the user's path (tools/bench/ingest-path.sh):
// `--generate-ndjson N FILE` writes its input, `--sqlite-import FILE DB`
// is its SQLite column, `--decode-lines FILE` times line decoding alone.
let helperArguments = Array(CommandLine.arguments.dropFirst())
if let mode = helperArguments.first, ["--generate-ndjson", "--sqlite-import", "--decode-lines"].contains(mode) {
    do {
        switch mode {
        case "--generate-ndjson": try NDJSONGenerator.run(Array(helperArguments.dropFirst()))
        case "--sqlite-import": try NDJSONSQLiteImport.run(Array(helperArguments.dropFirst()))
        default: try LineDecodeBenchmark.run(Array(helperArguments.dropFirst()))
        }
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("signallog-bench: \(error)\n".utf8))
        if case .usage = error { exit(2) }
        exit(1)
    }
}

let options: BenchOptions
do {
    guard let parsed = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst())) else {
        print(BenchOptions.usage)
        exit(0)
    }
    options = parsed
} catch {
    FileHandle.standardError.write(Data("signallog-bench: \(error)\n".utf8))
    exit(2)
}

do {
    let report = try await BenchRunner(options: options).run()
    if options.json {
        print(try RunInfo.json(report))
    } else {
        print(TableRenderer(report: report).render())
    }
    if options.writeResults {
        let path = try RunInfo.write(report, to: options.resultsDirectory ?? RunInfo.packageDirectory + "/results", day: String(report.date.prefix(10)))
        FileHandle.standardError.write(Data("[bench] results written to \(path)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("signallog-bench: FAILED: \(error)\n".utf8))
    exit(1)
}
