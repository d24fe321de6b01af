import ArgumentParser
import SegmentLog
import SignalLog

/// `signallog trace DIR CORRELATION_ID`: the whole history of a correlation id.
struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the full history of a correlation id: signals, attempts on every node, DLQ moves and resolutions.",
        discussion: """
            Records are listed in log order (the order they were recorded, which is time order). \
            --since/--until/--partition narrow the search through the indexes on large logs; \
            --since/--until select by event time (a signal's own timestamp, the append time of \
            attempts and DLQ records) unless --by append is given.

            Examples:
              signallog trace ./log 5f2ce5e2-9d1e-4a0f-b866-ca2f845916cb
              signallog trace ./log 5f2ce5e2-9d1e-4a0f-b866-ca2f845916cb -o ndjson
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Argument(help: "The correlation id to follow.")
    var correlationID: String

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only records at or after this time (event time unless --by append).", valueName: "time"))
    var since: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only records before this time.", valueName: "time"))
    var until: String?

    @Option(name: .long, help: ArgumentHelp("Which time --since/--until select by: event (trace's default) or append.", valueName: "event|append"))
    var by: TimeAxisArgument = .event

    @Option(name: .customLong("partition"), help: ArgumentHelp("Only this partition (repeatable).", valueName: "key"))
    var partitions: [String] = []

    @Option(name: [.short, .customLong("output")], help: "Output format: text, json, ndjson or cloudevents.")
    var output: OutputFormat = .text

    @OptionGroup var global: GlobalOptions

    /// The equivalent `cat` filter options, parsed (and so validated) like `cat`'s.
    private func filterOptions() throws -> FilterOptions {
        var arguments = ["--correlation-id", correlationID]
        if let since { arguments += ["--since", since] }
        if let until { arguments += ["--until", until] }
        arguments += ["--by", by.rawValue]
        for key in partitions { arguments += ["--partition", key] }
        return try FilterOptions.parse(arguments)
    }

    func validate() throws {
        _ = try filterOptions()
    }

    func run() async throws {
        let listing = try LogDirectory.list(directory)
        let log = try listing.openReadOnly()
        listing.noteTornTail(of: log)
        defer { try? log.close() }
        let query = try filterOptions().compile().query
        // The library reads the history (through the time and partition
        // indexes) and lists what it passed over; this command presents it.
        let history: SignalHistory
        do {
            history = try SignalHistory.read(log, .correlationID(correlationID), from: query.since, to: query.until,
                                             partitions: query.partitions, by: query.timeAxis)
        } catch {
            throw CLIError.from(error, directory: directory)
        }
        for gap in history.gaps { StandardError.line("signallog: \(gap); skipped") }
        let damage = history.gaps.count
        let items = history.entries.map { PresentedRecord($0.record) }
        defer { if damage > 0 { StandardError.line("signallog: the trace may be incomplete: \(damage) damaged stretch\(damage == 1 ? "" : "es") skipped (run `signallog verify \(directory)`)") } }
        let style = global.style
        if output != .text {
            let sink = RecordSink(format: output, presenter: RecordPresenter(style: style, width: nil))
            sink.begin()
            for item in items { sink.emit(item) }
            sink.end()
            return
        }
        let out = OutputBuffer()
        guard !items.isEmpty else {
            out.line("No records with correlation id \(correlationID) in \(directory).")
            out.flush()
            throw ExitCode(ExitStatus.failure)
        }
        let signals = Set(items.compactMap { $0.decoded?.signalID })
        let nodes = Set(items.compactMap { item -> String? in
            switch item.decoded {
            case .attempt(let value)?: return value.attempt.nodeID
            case .deadLetterMove(let value)?: return value.nodeID
            case .deadLetterResolve(let value)?: return value.nodeID
            default: return nil
            }
        })
        out.line(style.bold("Trace of correlation id \(correlationID)") + ": \(items.count) record\(items.count == 1 ? "" : "s"), \(signals.count) signal\(signals.count == 1 ? "" : "s"), \(nodes.count) node\(nodes.count == 1 ? "" : "s")")
        var table = Table(["TIME", "SEQ", "EVENT", "SIGNAL", "NODE", "DETAIL"], alignments: [.left, .right, .left, .left, .left, .left])
        table.indent = "  "
        for item in items {
            let time = TimeFormat.rfc3339(item.record.timestamp, digits: 3)
            let sequence = "#\(item.record.sequence)"
            switch item.decoded {
            case .signal(let value)?:
                let signal = value.signal
                let what = value.carriedFrom == nil ? "accepted" : "carried"
                table.add([time, sequence, style.green(what), signal.id, "-",
                           "\(signal.type) from \(signal.sourceID), partition \(signal.partitionKey), urgency \(Units.fixed(signal.urgency, 2))" + (signal.retryCount > 0 ? ", retry \(signal.retryCount)" : "")])
            case .attempt(let value)?:
                let attempt = value.attempt
                let event: String, detail: String
                switch attempt.outcome {
                case .processed: event = style.green("processed"); detail = "attempt \(attempt.attempt), took \(TimeFormat.duration(micros: attempt.duration))"
                case .failed(let error): event = style.red("failed"); detail = "attempt \(attempt.attempt), took \(TimeFormat.duration(micros: attempt.duration)): \(error)"
                case .duplicate(let original): event = style.yellow("duplicate"); detail = "of \(original)"
                case .conflict(let original): event = style.yellow("conflict"); detail = "with \(original)"
                case .rejected(let reason): event = style.yellow("rejected"); detail = reason
                }
                table.add([time, sequence, event, attempt.signalID, attempt.nodeID, detail])
            case .deadLetterMove(let move)?:
                table.add([time, sequence, style.red("dead-lettered"), move.signalID, move.nodeID, "\(move.reason), retry count \(move.retryCount): \(move.error)"])
            case .deadLetterResolve(let resolve)?:
                table.add([time, sequence, style.magenta(resolve.resolution.description), resolve.signalID, resolve.nodeID, "left the dead letter queue"])
            default:
                table.add([time, sequence, RecordKinds.name(item.record.kind), "-", "-", item.decodeError ?? ""])
            }
        }
        out.line(table.render(style: style))
        out.flush()
    }
}
