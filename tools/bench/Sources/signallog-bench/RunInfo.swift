import Foundation

/// Where and when a run happened: the commit of the repository, the date,
/// the kernel, and where the results file goes.
enum RunInfo {
    /// tools/bench, found from this source file's path (the package is built from source).
    static let packageDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The short commit id of the repository holding the benchmark, with
    /// "-dirty" when tracked files under Sources/ or tools/bench differ from it.
    static func commit() -> String {
        guard let head = run("git", ["-C", packageDirectory, "rev-parse", "--short", "HEAD"]), !head.isEmpty else { return "unknown" }
        let status = run("git", ["-C", packageDirectory + "/../..", "status", "--porcelain", "--untracked-files=no", "--", "Sources", "Package.swift", "tools/bench"]) ?? ""
        return status.isEmpty ? head : head + "-dirty"
    }

    /// Today's date as YYYY-MM-DD and a full ISO 8601 timestamp.
    static func dates() -> (day: String, timestamp: String) {
        let now = Date()
        let formatter = ISO8601DateFormatter()
        let timestamp = formatter.string(from: now)
        return (String(timestamp.prefix(10)), timestamp)
    }

    static func kernel() -> String {
        ProcessStats.readFile("/proc/sys/kernel/osrelease").map { "Linux " + $0.split(separator: "\n").joined() } ?? "unknown kernel"
    }

    /// Writes `report` as pretty JSON to `<directory>/<day>-<commit>[-quick].json`; returns the path.
    static func write(_ report: BenchReport, to directory: String, day: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(day)-\(report.commit)\(report.quick ? "-quick" : "").json"
        try json(report).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func json(_ report: BenchReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// Runs a program and returns its trimmed standard output, or nil if it failed.
    private static func run(_ program: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
