import ArgumentParser
import SegmentLog
import SignalLog

/// `signallog dlq DIR list|show ID`: the dead letters still unresolved.
struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List unresolved dead letters, or show one with its history.",
        discussion: """
            The dead letter queue is rebuilt from the log read-only, as a node rebuilds it at open: \
            every dlq-move not followed by a dlq-resolve (reprocessed or discarded).

            Examples:
              signallog dlq ./log list
              signallog dlq ./log list -o ndjson
              signallog dlq ./log show 414c343c1027c4d1c386bbc4cd613e30
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case list, show
    }

    @Argument(help: "The log directory.")
    var directory: String

    @Argument(help: "list, or show (with a signal id).")
    var action: Action

    @Argument(help: "The signal id (for show).")
    var signalID: String?

    @Option(name: [.short, .customLong("output")], help: "Output format: text, json or ndjson.")
    var output: OutputFormat = .text

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if action == .show && signalID == nil { throw ValidationError("dlq show needs a signal id: signallog dlq DIR show ID") }
        if action == .list && signalID != nil { throw ValidationError("dlq list takes no signal id") }
        if output == .cloudevents { throw ValidationError("dlq prints text, json or ndjson") }
    }

    static func json(_ entry: DeadLetter) -> JSON {
        .object([
            ("signal_id", .string(entry.signal.id)),
            ("signal_type", .string(entry.signal.type)),
            ("source_id", .string(entry.signal.sourceID)),
            ("partition_key", .string(entry.signal.partitionKey)),
            ("correlation_id", .string(entry.signal.correlationID)),
            ("reason", .string(entry.reason.description)),
            ("error", .string(entry.error)),
            ("time", .string(TimeFormat.rfc3339(entry.time))),
            ("node_id", .string(entry.nodeID)),
            ("retry_count", .int(entry.signal.retryCount)),
            ("sequence", .uint(entry.sequence)),
            ("signal", .raw(SignalJSON.encode(entry.signal))),
        ])
    }

    func run() async throws {
        let listing = try LogDirectory.list(directory)
        let log = try listing.openReadOnly()
        listing.noteTornTail(of: log)
        defer { try? log.close() }
        let inspection: SignalLogInspection
        do {
            inspection = try SignalLogInspection(log: log, scope: .deadLetters)
        } catch {
            throw CLIError("\(error) (run `signallog verify \(directory)`)", exitCode: ExitStatus.failure)
        }
        let style = global.style
        let out = OutputBuffer()
        switch action {
        case .list:
            let entries = inspection.sortedDeadLetters
            switch output {
            case .json:
                out.line(JSON.array(entries.map(Self.json)).pretty)
            case .ndjson, .cloudevents:
                for entry in entries { out.line(Self.json(entry).compact) }
            case .text:
                if entries.isEmpty {
                    out.line("No unresolved dead letters in \(directory).")
                    break
                }
                out.line(style.bold("\(entries.count) unresolved dead letter\(entries.count == 1 ? "" : "s")") + " in \(directory)")
                var table = Table(["MOVED AT", "SIGNAL ID", "TYPE", "SOURCE", "REASON", "RETRIES", "ERROR"], alignments: [.left, .left, .left, .left, .left, .right, .left])
                table.indent = "  "
                for entry in entries {
                    table.add([TimeFormat.rfc3339(entry.time, digits: 0), entry.signal.id, entry.signal.type, entry.signal.sourceID,
                               style.red(entry.reason.description), String(entry.signal.retryCount), entry.error])
                }
                var text = table.render(style: style)
                if Terminal.stdoutIsTTY {
                    let width = Terminal.width()
                    text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                        Table.visibleWidth(String(line)) > width ? String(line.prefix(width - 1)) + "…" : String(line)
                    }.joined(separator: "\n")
                }
                out.line(text)
            }
        case .show:
            let id = signalID!
            guard let entry = inspection.deadLetters[id] else {
                let known = inspection.deadLetters.isEmpty ? "the queue is empty" : "see `signallog dlq \(directory) list`"
                throw CLIError("no unresolved dead letter with signal id \(id) in \(directory) (\(known))", exitCode: ExitStatus.failure)
            }
            // Its history: every record of its partition that names it.
            var filter = RecordFilter()
            filter.query.partitions = [entry.signal.partitionKey]
            filter.signalIDs = [id]
            var history: [PresentedRecord] = []
            do {
                try RecordScan.forward(log, filter, damaged: { StandardError.line("signallog: \($0); skipped") }) { history.append($0); return true }
            } catch {
                throw CLIError.from(error, directory: directory)
            }
            if output != .text {
                var document = Self.json(entry)
                if case .object(var members) = document {
                    members.append(("history", .array(history.map(RecordPresenter.json))))
                    document = .object(members)
                }
                out.line(output == .json ? document.pretty : document.compact)
                break
            }
            let signal = entry.signal
            var facts = Table(["", ""])
            facts.showsHeader = false
            facts.indent = "  "
            facts.add(["signal id", signal.id])
            facts.add(["type", signal.type])
            facts.add(["source", signal.sourceID])
            facts.add(["partition", signal.partitionKey])
            facts.add(["correlation id", signal.correlationID])
            facts.add(["reason", style.red(entry.reason.description)])
            facts.add(["error", entry.error])
            facts.add(["moved at", TimeFormat.rfc3339(entry.time, digits: 3) + " by node \(entry.nodeID)"])
            facts.add(["retry count", String(signal.retryCount)])
            facts.add(["schema", signal.schemaVersion])
            facts.add(["created at", TimeFormat.rfc3339(signal.createdAt, digits: 3)])
            facts.add(["signal record", "#\(entry.sequence)"])
            out.line(style.bold("Dead letter \(signal.id)"))
            out.line(facts.render(style: style))
            out.line(style.bold("Content"))
            let content: String
            switch signal.content {
            case .text(let text): content = text
            case .json(let value): content = value.serialized()
            }
            out.line("  " + content)
            out.line(style.bold("History"))
            let presenter = RecordPresenter(style: style, width: Terminal.stdoutIsTTY ? Terminal.width() : nil)
            for item in history { out.line("  " + presenter.text(item)) }
        }
        out.flush()
    }
}
