import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The `signallog` command: offline inspection, export, ingestion and repair
/// of SignalLog log directories.
struct SignalLogTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signallog",
        abstract: "Inspect, verify, export, ingest and repair SignalLog log directories.",
        discussion: """
            Commands open a log read-only unless their purpose is to change it (ingest, repair, \
            vacuum, demo), and work beside a live writer, seeing only complete batches.

            Examples:
              signallog info ./log
              signallog cat ./log --since -1h --partition user_123_actions -o ndjson
              signallog verify ./log && echo clean
              signallog ingest ./log signals.ndjson
            """,
        version: "0.1.0",
        subcommands: [
            Info.self, Cat.self, Trace.self, DLQ.self, Verify.self, Repair.self, Ingest.self, Vacuum.self, Demo.self,
            Mirror.self, Restore.self, Inbox.self, Send.self,
        ]
    )

    /// Parses and runs a command; user mistakes become one line on stderr
    /// and an exit status, never a stack trace.
    static func run() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            StandardError.line("signallog: \(error.message)")
            Glibc.exit(error.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "Never colour the output (colour is used only on a terminal, and never when NO_COLOR is set).")
    var noColor = false

    var style: Style { Style(enabled: Terminal.colorAllowed(fd: STDOUT_FILENO, noColorFlag: noColor)) }
    var errorStyle: Style { Style(enabled: Terminal.colorAllowed(fd: STDERR_FILENO, noColorFlag: noColor)) }
}
