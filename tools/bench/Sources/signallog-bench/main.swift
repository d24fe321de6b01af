#if canImport(Glibc)
import Glibc
#endif
import Foundation

// signallog-bench: runs the benchmark workloads of issue 5 and prints a table
// (or JSON). Exits 1 when a workload does not run correctly, 2 on a bad
// command line; timing never makes it fail.

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
