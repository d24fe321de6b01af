import ArgumentParser
import SegmentLog
#if canImport(Glibc)
import Glibc
#endif

/// `signallog cat DIR` (alias `replay`): records in order, filtered through the indexes.
struct Cat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Print records in order, filtered by time, partition, kind and signal fields.",
        discussion: """
            Time and partition filters go through the segment indexes, so a short window of a \
            large log is read without scanning the rest. --since/--until select by append time \
            (when the log stored each record) unless --by event selects by the signals' own \
            timestamps (other records: their append time), in whatever order they arrived.

            Examples:
              signallog cat ./log --since 2024-05-01T10:00Z --until 2024-05-01T11:00Z
              signallog cat ./log --since -15m --partition sensor-1_alert -o ndjson
              signallog cat ./log --by event --since 2024-05-01T14:00Z --until 2024-05-01T15:00Z
              signallog cat ./log --type alert --grep 'disk (full|failing)' -n 20
              signallog cat ./log --kind dlq-move --reverse
              signallog cat ./log -f              # keep printing as a writer appends
              signallog cat ./log --kind signal -o cloudevents > events.jsonl
            """,
        aliases: ["replay"])

    @Argument(help: "The log directory, or nats://HOST:PORT/STREAM to read a mirrored log from its stream (with --log).")
    var directory: String

    @Option(name: .customLong("log"), help: ArgumentHelp("With nats://…/STREAM: the log's id in the stream.", valueName: "id"))
    var logID: String?

    @Option(name: .customLong("prefix"), help: ArgumentHelp("With nats://…/STREAM: the mirror's first subject token.", valueName: "prefix"))
    var subjectPrefix = "signallog"

    @OptionGroup var nats: NATSServerOptions

    @OptionGroup var filters: FilterOptions

    @Option(name: [.customShort("n"), .customLong("lines")], help: ArgumentHelp("Only the last N matching records.", valueName: "N"))
    var lines: Int?

    @Flag(name: [.short, .long], help: "Newest first.")
    var reverse = false

    @Flag(name: [.short, .long], help: "After printing, keep printing records as a writer appends them (Ctrl-C to stop).")
    var follow = false

    @Option(name: [.short, .customLong("output")], help: "Output format: text, json, ndjson or cloudevents (signal records only).")
    var output: OutputFormat = .text

    @Flag(name: [.customShort("l"), .long], help: "On a terminal, do not cut lines at the terminal's width.")
    var full = false

    @Option(name: .customLong("from-sequence"), help: ArgumentHelp("Start at this sequence number.", valueName: "seq"))
    var fromSequence: UInt64?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let lines, lines < 0 { throw ValidationError("-n must be 0 or more") }
        if follow && reverse { throw ValidationError("--follow cannot be combined with --reverse") }
        if follow && output == .json { throw ValidationError("--follow writes a stream: use -o ndjson instead of -o json") }
    }

    func run() async throws {
        if let source = try RemoteCat.Source.parse(directory) {
            if follow || reverse || lines != nil { throw CLIError.unusable("--follow, --reverse and -n read local logs only") }
            var filter = try filters.compile()
            if let fromSequence { filter.query.fromSequence = fromSequence }
            let sink = RecordSink(format: output, presenter: RecordPresenter(style: global.style, width: nil))
            try await RemoteCat.run(source, logID: logID, prefix: subjectPrefix, nats: nats, filter: filter, sink: sink)
            return
        }
        let listing = try LogDirectory.list(directory)
        let log = try listing.openReadOnly()
        listing.noteTornTail(of: log)
        defer { try? log.close() }
        var filter = try filters.compile()
        if let fromSequence { filter.query.fromSequence = fromSequence }
        let style = global.style
        let width = Terminal.stdoutIsTTY && output == .text && !full ? Terminal.width() : nil
        let sink = RecordSink(format: output, presenter: RecordPresenter(style: style, width: width))
        // Where --follow continues: the end of the snapshot printed first.
        let snapshotEnd = log.nextSequence

        sink.begin()
        // Damage is reported where it is met; the intact records after it are still printed.
        var damage = 0
        let report = { (error: SegmentLogError) in
            damage += 1
            sink.out.flush()
            StandardError.line("signallog: \(error); skipped")
        }
        do {
            if let lines {
                if lines > 0 {
                    var newest: [PresentedRecord] = []
                    try RecordScan.backward(log, filter, damaged: report) { item in
                        newest.append(item)
                        return newest.count < lines
                    }
                    for item in reverse ? newest : newest.reversed() { sink.emit(item) }
                }
            } else if reverse {
                try RecordScan.backward(log, filter, damaged: report) { sink.emit($0); return true }
            } else {
                try RecordScan.forward(log, filter, damaged: report) { sink.emit($0); return true }
            }
        } catch {
            sink.end()
            throw CLIError.from(error, directory: directory)
        }
        if damage > 0 {
            sink.end()
            throw CLIError("\(damage) damaged stretch\(damage == 1 ? " was" : "es were") skipped; run `signallog verify \(directory)`", exitCode: ExitStatus.failure)
        }
        if follow {
            sink.out.flush()
            try await followTail(log: log, filter: filter, sink: sink, from: snapshotEnd)
        }
        sink.end()
    }

    /// Polls the log for new complete batches until interrupted (or past
    /// `--until`): the read-only log refreshes from where it stopped, taking
    /// no lock and changing no file, and follows the writer across rotations.
    private func followTail(log: SegmentLog, filter: RecordFilter, sink: RecordSink, from start: UInt64) async throws {
        var next = start
        while true {
            do {
                try log.refresh()
            } catch {
                throw CLIError.from(error, directory: directory)
            }
            let end = log.nextSequence
            if end > next {
                var query = filter.query
                query.fromSequence = max(next, query.fromSequence)
                query.throughSequence = end - 1
                let reader = log.read(query)
                do {
                    try RecordScan.drain(reader, damaged: { StandardError.line("signallog: \($0); skipped") }) { record in
                        if let item = filter.accept(record) { sink.emit(item) }
                        return true
                    }
                } catch {
                    throw CLIError.from(error, directory: directory)
                }
                next = end
                sink.out.flush()
            }
            // Append times never decrease: once the log has passed --until, nothing more can match.
            if filter.query.timeAxis == .append, let until = filter.query.until,
               let last = log.segments().last?.timeRange?.upperBound, last >= until { return }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
    }
}
