import ArgumentParser
import SegmentLog

/// `signallog verify DIR`: a full consistency check, read-only.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every batch, index and sequence of a log; exit 0 clean, 1 corruption, 2 unusable input.",
        discussion: """
            Checks each batch's CRC32C, lengths and LZ4 decompression, every index file against \
            its segment (summary, counts by kind, time entries, partition blocks), and that \
            sequence numbers and append times never go backwards. Each problem is reported with \
            its file and byte offset. Safe beside a live writer: the batch it is writing is not \
            an error. Warnings (a torn tail after a crash, a missing index) do not fail the check \
            unless --strict.

            Exit status: 0 clean (warnings allowed), 1 corruption found, 2 unusable input.

            Examples:
              signallog verify ./log
              signallog verify ./log --json | jq '.problems[] | select(.severity == "error")'
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Flag(name: .long, help: "Print JSON (documented in docs/cli.md) instead of text.")
    var json = false

    @Flag(name: .long, help: "Count warnings as failures (exit 1).")
    var strict = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let listing = try LogDirectory.list(directory)
        let writer = listing.writerPID()
        let report: VerifyReport
        do {
            report = try SegmentLog.verify(directory: directory, writerIsLive: writer != nil)
        } catch {
            throw CLIError.verifyFailure(error, directory: directory)
        }
        let failed = report.errors > 0 || (strict && report.warnings > 0)
        let status = report.status.rawValue
        let out = OutputBuffer()
        if json {
            let problems: [JSON] = report.problems.map { problem in
                let offset: JSON = problem.offset.map { JSON.int($0) } ?? .null
                return .object([
                    ("severity", .string(problem.severity.rawValue)),
                    ("code", .string(problem.code.rawValue)),
                    ("file", .string(problem.file)),
                    ("offset", offset),
                    ("message", .string(problem.message)),
                ])
            }
            let document = JSON.object([
                ("directory", .string(directory)),
                ("status", .string(status)),
                ("writer_pid", writer.map { .int(Int64($0)) } ?? .null),
                ("segments", .int(report.segments.count)),
                ("batches", .uint(report.batches)),
                ("records", .uint(report.records)),
                ("bytes", .int(report.bytes)),
                ("errors", .int(report.errors)),
                ("warnings", .int(report.warnings)),
                ("problems", .array(problems)),
            ])
            out.line(document.pretty)
        } else {
            let style = global.style
            var header = "Verified \(directory): \(report.segments.count) segment\(report.segments.count == 1 ? "" : "s"), \(Units.count(report.batches)) batches, \(Units.count(report.records)) records, \(Units.bytes(report.bytes))"
            if let writer { header += " (writer running\(writer > 0 ? ", pid \(writer)" : ""))" }
            out.line(header)
            if !report.problems.isEmpty {
                var table = Table(["SEVERITY", "FILE", "OFFSET", "PROBLEM"], alignments: [.left, .left, .right, .left])
                table.indent = "  "
                for problem in report.problems.sorted(by: { ($0.file, $0.offset ?? -1) < ($1.file, $1.offset ?? -1) }) {
                    let severity: String
                    switch problem.severity {
                    case .error: severity = style.red("error")
                    case .warning: severity = style.yellow("warning")
                    case .note: severity = style.dim("note")
                    }
                    table.add([severity, problem.file, problem.offset.map(String.init) ?? "-", problem.message])
                }
                out.line(table.render(style: style))
            }
            let summary: String
            switch status {
            case "clean": summary = style.green("clean")
            case "warnings": summary = style.yellow("clean, with \(report.warnings) warning\(report.warnings == 1 ? "" : "s")")
            default: summary = style.red("CORRUPT: \(report.errors) error\(report.errors == 1 ? "" : "s")") + (report.warnings > 0 ? ", \(report.warnings) warning\(report.warnings == 1 ? "" : "s")" : "")
            }
            out.line("Result: " + summary + (report.errors > 0 ? " (see `signallog repair --dry-run \(directory)`)" : ""))
        }
        out.flush()
        if failed { throw ExitCode(ExitStatus.failure) }
    }
}
