import ArgumentParser
import SegmentLog
import SignalLog
#if canImport(Glibc)
import Glibc
#endif

/// `signallog ingest DIR [FILE|-]`: bulk import of JSON signals through the
/// processing layer's acceptance rules.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import NDJSON or CloudEvents JSON signals into a log, with dedupe and validation.",
        discussion: """
            Each line is one JSON object: a signal with the original attribute names (content, \
            signal_type, urgency, source_id required; id, idempotency_key, partition_key, \
            correlation_id, schema_version, retry_count, timestamp, requires_response, traceparent \
            optional), a CloudEvents 1.0 event (recognised by "specversion"), or a record object \
            as `cat -o ndjson` prints it. Signals go through the node's acceptance rules: \
            duplicates of an idempotency key seen within the dedupe TTL are counted and not \
            stored again, invalid signals and unsupported schema versions are rejected with their \
            reason. Accepted signals are written in batches (at most --batch-size signals, and \
            never more bytes than the log takes in one batch) and stay pending until the service \
            that owns the log processes them. Malformed lines, and lines over a size limit (a \
            line over twice the log's 32 MiB record limit, a signal whose record would be over \
            it, a partition key over 65535 bytes), are reported with their line numbers and \
            skipped, unless --strict. The log is created if it does not exist.

            Exit status: 0 the import ran to the end (see the summary), 1 stopped by --strict or \
            a write failure, 2 unusable input (missing file, locked log, not a log).

            Examples:
              signallog ingest ./log signals.ndjson
              zcat events.jsonl.gz | signallog ingest ./log -
              signallog cat ./old --kind signal -o cloudevents | signallog ingest ./new
            """)

    @Argument(help: "The log directory (created if missing).")
    var directory: String

    @Argument(help: "The input file, or - for standard input (the default).")
    var file: String = "-"

    @Option(name: .long, help: "Most signals per log batch (a batch is also cut before it outgrows the log's batch limit).")
    var batchSize: Int = 2000

    @Option(name: .long, help: ArgumentHelp("Seal a segment once it would grow past this size (64KiB to 4GiB; the engine's default is 128MiB).", valueName: "size"))
    var segmentSize: String?

    @Flag(name: .long, help: "Stop at the first malformed or rejected line.")
    var strict = false

    @Option(name: .customLong("schema-version"), help: ArgumentHelp("Also accept this schema version (repeatable; 1.0 and 1.1 are accepted by default).", valueName: "version"))
    var extraSchemaVersions: [String] = []

    @Option(name: .customLong("dedupe-ttl"), help: ArgumentHelp("Dedupe window in seconds (the node default is 300).", valueName: "seconds"))
    var dedupeTTL: Int = 300

    @Option(name: .long, help: ArgumentHelp("How many problem lines to list (the rest are counted).", valueName: "n"))
    var showProblems: Int = 20

    @Flag(name: .long, help: "Print the summary as JSON (documented in docs/cli.md).")
    var json = false

    @Flag(name: [.short, .long], help: "No progress bar.")
    var quiet = false

    /// Advanced (docs/cli.md): lowers the record limit ingest keeps to, and
    /// with it the line limit, below the log's own.
    @Option(name: .long, help: ArgumentHelp("Largest signal record to store (at most the log's 32 MiB).", valueName: "size", visibility: .hidden))
    var maxRecordBytes: String?

    /// Advanced (docs/cli.md): lowers the bytes per log batch below the log's own limit.
    @Option(name: .long, help: ArgumentHelp("Largest log batch to write (at most the log's 64 MiB).", valueName: "size", visibility: .hidden))
    var maxBatchBytes: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if batchSize < 1 || batchSize > 1_000_000 { throw ValidationError("--batch-size must be between 1 and 1000000") }
        if dedupeTTL < 0 { throw ValidationError("--dedupe-ttl must be 0 or more") }
        if let segmentSize {
            guard let size = Vacuum.size(segmentSize), size >= 64 << 10, size <= 4 << 30 else {
                throw ValidationError("--segment-size: '\(segmentSize)' is not a size from 64KiB to 4GiB")
            }
        }
        let log = LogLimits()
        for (name, text, limit) in [("--max-record-bytes", maxRecordBytes, log.maxRecordBytes), ("--max-batch-bytes", maxBatchBytes, log.maxBatchBytes)] {
            guard let text else { continue }
            guard let size = Vacuum.size(text), size >= 1024, size <= Int64(limit) else {
                throw ValidationError("\(name): '\(text)' is not a size from 1KiB to \(limit) bytes (the log's own limit)")
            }
        }
    }

    /// The limits this run keeps to.
    var limits: IngestLimits {
        IngestLimits(maxRecordBytes: maxRecordBytes.flatMap(Vacuum.size).map { Int($0) },
                     maxBatchBytes: maxBatchBytes.flatMap(Vacuum.size).map { Int($0) })
    }

    struct Problem {
        var line: Int
        var kind: String
        var message: String
    }

    func run() async throws {
        let style = global.style
        let errorStyle = global.errorStyle
        // Input first: a missing file is reported before the log is touched.
        let fd: Int32
        if file == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CLIError.unusable("\(file): \(String(cString: strerror(errno)))") }
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var info = stat()
        let totalBytes: Int64? = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : nil
        let inputName = file == "-" ? "standard input" : file

        // Accept-only: work already pending in the log keeps waiting for its service.
        if (try? LogDirectory.list(directory)) == nil { try checkTarget() }
        let node = try AcceptOnlyNode.open(directory: directory, dedupeTTL: .seconds(dedupeTTL),
                                           segmentMaxBytes: segmentSize.flatMap(Vacuum.size))
        var schemas = SchemaRegistry()
        for version in extraSchemaVersions { schemas.addSupported(version) }
        let limits = self.limits
        // The options as plain values: read for every line, and an
        // argument-parser property costs a call each time.
        let batchSize = self.batchSize, strict = self.strict, showProblems = self.showProblems
        let reader = LineReader(fd: fd, name: inputName, maxLineBytes: limits.maxLineBytes)
        let progress = ProgressBar(total: totalBytes, unit: "signals", enabled: Terminal.stderrIsTTY && !quiet && !json, style: errorStyle)
        var counts = (lines: 0, blank: 0, accepted: 0, duplicates: 0, conflicts: 0, rejected: 0, malformed: 0)
        var rejectedByReason: [String: Int] = [:]
        var problems: [Problem] = []
        var problemCount = 0
        var batch: [Signal] = []
        var batchLines: [Int] = []
        /// The batch's bytes as the log counts them (see ``IngestLimits``).
        var batchBytes = 0
        batch.reserveCapacity(batchSize)
        var stopped: String? = nil
        /// The line --strict stopped at: nothing after it is stored.
        var stoppedLine = Int.max
        /// The batch being prepared on another core while the next one is
        /// read and parsed (never under --strict, whose stop must be known
        /// before the next line is looked at).
        var inFlight: (prepared: Task<PreparedBatch, Never>, lines: [Int])? = nil
        /// Problems found while a batch was in flight: listed after that
        /// batch's own, in the order a run without the pipeline lists them.
        var held: [Problem] = []
        let started = Monotonic.now()

        func list(_ problem: Problem) {
            problemCount += 1
            if problems.count < showProblems { problems.append(problem) }
            if strict && stopped == nil {
                stopped = "line \(problem.line): \(problem.message)"
                stoppedLine = problem.line
            }
        }

        func note(_ problem: Problem) {
            if inFlight != nil { held.append(problem) } else { list(problem) }
        }

        /// Decides `signals` (read from `lines`) as one log batch, from
        /// their prepared form when there is one. A batch the log still
        /// refuses as too large (refusals' attempt records can outgrow the
        /// signals they replace) is accepted in halves: a refused append
        /// stores nothing and leaves the node as it was.
        func decide(_ signals: [Signal], lines: [Int], prepared: PreparedBatch?) throws {
            // Halves after a --strict stop inside this batch are not stored.
            if lines[0] > stoppedLine { return }
            let results: [ReceiveResult]
            do {
                results = try prepared.map { try node.receive(prepared: $0) } ?? node.receive(batch: signals)
            } catch SegmentLogError.limitExceeded(let what, let value, let limit) {
                guard signals.count > 1 else {
                    counts.malformed += 1
                    list(Problem(line: lines[0], kind: "malformed", message: "the log refused to store it: \(what) of \(value) bytes is over its limit of \(limit)"))
                    return
                }
                let middle = signals.count / 2
                try decide(Array(signals[..<middle]), lines: Array(lines[..<middle]), prepared: nil)
                try decide(Array(signals[middle...]), lines: Array(lines[middle...]), prepared: nil)
                return
            } catch {
                throw CLIError("writing to \(directory) failed: \(error); \(counts.accepted) signals were accepted before it", exitCode: ExitStatus.failure)
            }
            for (position, result) in results.enumerated() {
                switch result {
                case .accepted: counts.accepted += 1
                case .duplicate: counts.duplicates += 1
                case .conflict(let original):
                    counts.conflicts += 1
                    list(Problem(line: lines[position], kind: "conflict", message: "idempotency key \(signals[position].idempotencyKey) was accepted within the TTL with a different payload (signal \(original))"))
                case .rejected(let reason):
                    counts.rejected += 1
                    rejectedByReason[reason.code, default: 0] += 1
                    list(Problem(line: lines[position], kind: "rejected", message: reason.description))
                }
            }
        }

        /// Decides the batch in flight, then lists the problems held back meanwhile.
        func land() async throws {
            guard let batch = inFlight else { return }
            let prepared = await batch.prepared.value
            inFlight = nil
            try decide(prepared.signals, lines: batch.lines, prepared: prepared)
            let waiting = held
            held.removeAll()
            for problem in waiting { list(problem) }
        }

        /// Sends the batch on: prepared on another core while the previous
        /// one is decided here (under --strict, decided at once).
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let signals = batch, lines = batchLines
            batch.removeAll(keepingCapacity: true)
            batchLines.removeAll(keepingCapacity: true)
            batchBytes = 0
            if strict {
                try decide(signals, lines: lines, prepared: nil)
                return
            }
            let next = Task.detached { node.prepare(signals) }
            try await land()
            inFlight = (next, lines)
        }

        /// Checks decoded signals (schema) and queues them for the next log batch.
        func take(_ parsed: ParsedChunk) async throws {
            for entry in parsed.entries {
                if stopped != nil { return }
                switch entry.result {
                case .blank:
                    counts.blank += 1
                case .malformed(let message):
                    counts.malformed += 1
                    note(Problem(line: entry.line, kind: "malformed", message: message))
                case .signal(let signal, let bytes):
                    do {
                        try schemas.checkVersion(of: signal)
                    } catch {
                        counts.rejected += 1
                        rejectedByReason["unsupported_schema_version", default: 0] += 1
                        note(Problem(line: entry.line, kind: "rejected", message: "unsupported_schema_version: schema version \"\(signal.schemaVersion)\" is not one of \(schemas.supportedVersions.sorted().joined(separator: ", ")) (add it with --schema-version)"))
                        continue
                    }
                    // Cut by bytes as well as by count.
                    if batchBytes + bytes > limits.maxBatchBytes { try await flush() }
                    if stopped != nil { return }
                    batch.append(signal)
                    batchLines.append(entry.line)
                    batchBytes += bytes
                    if batch.count >= batchSize { try await flush() }
                }
            }
        }

        do {
            // The work runs in input order on every core: chunks of lines
            // are read here and parsed in tasks of their own (up to
            // `chunksAhead` at once), each full batch is prepared — hashed,
            // encoded, compressed — in another task, and the batch before
            // it is decided and appended here. Under --strict one chunk is
            // read ahead, as a stop must leave the rest of the input unread.
            // Chunk buffers go back to `spare` once parsed, so their memory
            // is allocated (and faulted in) once.
            let chunksAhead = strict ? 1 : Self.chunksAhead
            var ahead: [Task<ChunkStep, any Error>] = []
            var spare: [RawChunk] = []
            var inputEnded = false
            /// Reads chunks until `chunksAhead` are being parsed. A read
            /// failure is queued after the chunks before it, so they are
            /// taken first, as they would be without the read-ahead.
            func readAhead() {
                while !inputEnded && ahead.count < chunksAhead {
                    var raw = spare.popLast() ?? RawChunk()
                    do {
                        try raw.refill(from: reader, lines: batchSize)
                    } catch {
                        inputEnded = true
                        ahead.append(Task { throw error })
                        return
                    }
                    if raw.count == 0 { inputEnded = true; return }
                    ahead.append(ChunkStep.parse(raw, bytesRead: reader.bytesRead, limits: limits))
                }
            }
            while stopped == nil {
                readAhead()
                guard !ahead.isEmpty else { break }
                let step = try await ahead.removeFirst().value
                counts.lines += step.raw.count
                spare.append(step.raw)
                readAhead()
                try await take(step.parsed)
                progress.update(done: step.bytesRead, items: counts.accepted + batch.count + (inFlight?.lines.count ?? 0))
            }
            // After a --strict stop, the chunk read ahead counts as read.
            for step in ahead { counts.lines += try await step.value.raw.count }
            // Signals before a --strict stop are accepted; the import ends there.
            try await flush()
            try await land()
        } catch let error as LineReader.Failure {
            progress.finish()
            await node.gracefulShutdown(timeout: .zero)
            throw CLIError.unusable(error.description)
        } catch {
            progress.finish()
            await node.gracefulShutdown(timeout: .zero)
            throw error
        }
        progress.finish()
        await node.gracefulShutdown(timeout: .zero)
        // The node is closed; releasing its in-memory pending work (every
        // signal accepted) would only cost time before the process exits.
        ProcessLifetime.keepUntilExit(node)
        let elapsed = Monotonic.now() - started

        let out = OutputBuffer()
        if json {
            out.line(JSON.object([
                ("directory", .string(directory)),
                ("input", .string(inputName)),
                ("lines", .int(counts.lines)),
                ("accepted", .int(counts.accepted)),
                ("duplicates", .int(counts.duplicates)),
                ("conflicts", .int(counts.conflicts)),
                ("rejected", .int(counts.rejected)),
                ("rejected_by_reason", .object(rejectedByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                ("malformed", .int(counts.malformed)),
                ("blank", .int(counts.blank)),
                ("stopped", .optional(stopped)),
                ("seconds", .double((elapsed * 1000).rounded() / 1000)),
                ("problems", .array(problems.map { .object([("line", .int($0.line)), ("kind", .string($0.kind)), ("message", .string($0.message))]) })),
            ]).pretty)
        } else {
            for problem in problems {
                StandardError.line(errorStyle.yellow("\(inputName):\(problem.line): \(problem.kind): ") + problem.message)
            }
            if problemCount > problems.count {
                StandardError.line("… and \(problemCount - problems.count) more problem lines")
            }
            var table = Table(["", ""], alignments: [.left, .right])
            table.indent = "  "
            table.showsHeader = false
            table.add(["accepted", style.green(Units.count(counts.accepted))])
            table.add(["duplicates", Units.count(counts.duplicates)])
            if counts.conflicts > 0 { table.add(["conflicts", style.yellow(Units.count(counts.conflicts))]) }
            table.add(["rejected", counts.rejected > 0 ? style.red(Units.count(counts.rejected)) : "0"])
            for (reason, count) in rejectedByReason.sorted(by: { $0.key < $1.key }) {
                table.add(["  " + reason, Units.count(count)])
            }
            table.add(["malformed", counts.malformed > 0 ? style.red(Units.count(counts.malformed)) : "0"])
            let rate = elapsed > 0 ? Double(counts.lines) / elapsed : 0
            out.line("Ingested \(inputName) into \(directory): \(Units.count(counts.lines)) line\(counts.lines == 1 ? "" : "s") in \(Units.fixed(elapsed, 2)) s (\(Units.rate(rate)) lines/s)")
            out.line(table.render(style: style))
            if let stopped { out.line(style.red("Stopped (--strict) at ") + stopped) }
        }
        out.flush()
        if stopped != nil { throw ExitCode(ExitStatus.failure) }
    }

    /// Chunks parsed at once, ahead of the one being accepted (with the
    /// batch being prepared, enough to keep two cores busy).
    static let chunksAhead = 2

    /// One chunk read and parsed off the accepting task.
    struct ChunkStep: Sendable {
        /// The chunk's lines as read (handed back to be refilled).
        var raw: RawChunk
        var parsed: ParsedChunk
        /// Input bytes read by the end of this chunk (for progress).
        var bytesRead: Int64

        /// Parses `raw` in a task of its own.
        static func parse(_ raw: RawChunk, bytesRead: Int64, limits: IngestLimits) -> Task<ChunkStep, any Error> {
            Task.detached { ChunkStep(raw: raw, parsed: ParsedChunk(raw, limits: limits), bytesRead: bytesRead) }
        }
    }

    /// Lines read from the input, copied so another task can parse them.
    struct RawChunk: Sendable {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        var lines: [Int] = []
        /// Lines over the line limit, by position in the chunk: their length
        /// (their bytes were never kept).
        var tooLong: [Int: Int] = [:]
        var count: Int { lines.count }

        /// Bytes of lines after which a chunk ends early, so that long lines
        /// do not make a chunk of `lines` lines hold gigabytes.
        static let byteBudget = 4 << 20

        /// Empties the chunk, keeping its memory, and reads up to `limit`
        /// lines (fewer at the end of the input or past ``byteBudget``).
        mutating func refill(from reader: LineReader, lines limit: Int) throws {
            bytes.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            lines.removeAll(keepingCapacity: true)
            tooLong.removeAll()
            ranges.reserveCapacity(limit)
            lines.reserveCapacity(limit)
            while count < limit, bytes.count < Self.byteBudget, try reader.next({ line, number in
                let start = bytes.count
                switch line {
                case .text(let text): bytes.append(contentsOf: text)
                case .tooLong(let length): tooLong[count] = length
                }
                ranges.append(start..<bytes.count)
                lines.append(number)
            }) {}
        }
    }

    /// What each line of a chunk decoded to.
    struct ParsedChunk: Sendable {
        enum Outcome: Sendable {
            /// A signal and its share of a batch's bytes (``IngestLimits/batchBytes(of:)``).
            case signal(Signal, bytes: Int)
            case malformed(String)
            case blank
        }
        var entries: [(line: Int, result: Outcome)] = []

        init(_ chunk: RawChunk, limits: IngestLimits) {
            entries.reserveCapacity(chunk.count)
            chunk.bytes.withUnsafeBytes { all in
                for (position, range) in chunk.ranges.enumerated() {
                    let bytes = UnsafeRawBufferPointer(rebasing: all[range])
                    let outcome: Outcome
                    if let length = chunk.tooLong.isEmpty ? nil : chunk.tooLong[position] {
                        outcome = .malformed(IngestLimits.Violation.lineTooLong(bytes: length, limit: limits.maxLineBytes).description)
                    } else if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) {
                        outcome = .blank
                    } else {
                        do {
                            let signal = try Ingest.decode(bytes)
                            switch limits.batchBytes(of: signal) {
                            case .success(let size): outcome = .signal(signal, bytes: size)
                            case .failure(let violation): outcome = .malformed(violation.description)
                            }
                        } catch {
                            outcome = .malformed("\(error)")
                        }
                    }
                    entries.append((chunk.lines[position], outcome))
                }
            }
        }
    }

    /// A signal from one JSON line: a signal object, a CloudEvent, or a `cat`
    /// record object (``SignalLineDecoder``).
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(SignalJSONError) -> Signal {
        try SignalLineDecoder.decode(bytes)
    }

    /// The target must be a log, an empty directory, or not exist yet.
    private func checkTarget() throws {
        var info = stat()
        guard stat(directory, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw CLIError.unusable("\(directory): not a directory") }
        let listing = try LogDirectory.list(directory, requireSegments: false)
        if let name = listing.foreign.first {
            throw CLIError.unusable("\(directory) is not a SignalLog log: it holds \(name); ingest into a new or empty directory")
        }
    }
}
