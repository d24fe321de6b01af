import ArgumentParser
import Foundation
import SegmentLog

/// `signallog info DIR`: what a log holds, from its segments' indexes.
struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a log's segments, counts by kind, partitions, sizes and health.",
        discussion: """
            Reads only index summaries and the active segment, so it is quick on large logs.

            Examples:
              signallog info ./log
              signallog info ./log --top 20
              signallog info ./log --json | jq .records
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Option(name: .long, help: "How many of the largest partitions to list.")
    var top: Int = 10

    @Flag(name: .long, help: "Print JSON (documented in docs/cli.md) instead of text.")
    var json = false

    @Option(name: .customLong("dedupe-ttl"), help: ArgumentHelp("The dedupe window of the log's nodes, in seconds (for the keys still inside it).", valueName: "seconds"))
    var dedupeTTL: Int = 300

    @Option(name: .long, help: ArgumentHelp("Also ask this NATS server (or servers) how far the log's mirror is behind (with --stream).", valueName: "servers"))
    var mirror: String?

    @Option(name: .long, help: ArgumentHelp("The mirror's JetStream stream (with --mirror).", valueName: "name"))
    var stream: String?

    @Option(name: .customLong("log"), help: ArgumentHelp("The log's id in the mirror (default: the directory's name).", valueName: "id"))
    var logID: String?

    @Option(name: .long, help: ArgumentHelp("The mirror's first subject token.", valueName: "prefix"))
    var prefix = "signallog"

    @OptionGroup var nats: NATSServerOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if (mirror == nil) != (stream == nil) { throw ValidationError("--mirror and --stream go together") }
        if top < 0 { throw ValidationError("--top must be 0 or more") }
        if dedupeTTL < 0 { throw ValidationError("--dedupe-ttl must be 0 or more") }
    }

    func run() async throws {
        let listing = try LogDirectory.list(directory)
        let log = try listing.openReadOnly()
        defer { try? log.close() }
        var summary = LogSummary(listing: listing, log: log, top: top)
        var processing: ProcessingSummary? = nil
        do {
            processing = try await ProcessingSummary.load(directory: directory, log: log, dedupeTTL: .seconds(dedupeTTL))
        } catch let error as CLIError {
            // The storage summary is still worth showing; the failure is reported below.
            summary.processingError = error.message
        }
        var mirrored: MirrorStatus?
        if let mirror, let stream {
            let id = logID ?? URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
            mirrored = try await MirrorStatus.load(log: log, servers: mirror, stream: stream, logID: id, prefix: prefix, nats: nats)
        }
        let out = OutputBuffer()
        if json {
            var document = summary.json(processing: processing)
            if let mirrored, case .object(var members) = document {
                members.append(("mirror", mirrored.json))
                document = .object(members)
            }
            out.line(document.pretty)
        } else {
            out.write(summary.text(style: global.style, processing: processing))
            if let mirrored { out.write(mirrored.text) }
        }
        out.flush()
        // A damaged log is never reported as healthy: what could not be read
        // goes to stderr, and the exit status says so (docs/cli.md).
        guard !summary.damage.isEmpty || summary.processingError != nil else { return }
        for range in summary.damage { StandardError.line("signallog: damage: \(range)") }
        if let failure = summary.processingError { StandardError.line("signallog: the processing state cannot be read: \(failure)") }
        throw CLIError("\(directory) is damaged; run `signallog verify \(directory)` for details", exitCode: ExitStatus.failure)
    }
}

/// Everything `info` reports about the storage layer.
struct LogSummary {
    var directory: String
    var segments: [SegmentInfo]
    var indexed: Set<UInt64>
    var writerPID: Int32?
    var recovery: RecoveryReport
    var kinds: [UInt8: UInt64] = [:]
    var partitions: [String: UInt64] = [:]
    var topPartitions: [(String, UInt64)] = []
    var records: UInt64 = 0
    var rawBytes: UInt64 = 0
    var storedBytes: Int64 = 0
    var diskBytes: Int64 = 0
    var indexBytes: Int64 = 0
    var corruptFiles: [String]
    /// Why the processing layer's state could not be rebuilt, if it could not.
    var processingError: String?

    init(listing: LogDirectory, log: SegmentLog, top: Int) {
        directory = listing.path
        segments = log.segments()
        indexed = listing.indexes
        writerPID = listing.writerPID()
        recovery = log.recoveryReport
        corruptFiles = listing.corruptFiles
        for segment in segments {
            records += segment.recordCount
            rawBytes += segment.rawBytes
            storedBytes += segment.storedBytes
            for (kind, count) in segment.recordsByKind { kinds[kind, default: 0] += count }
            for (key, count) in segment.recordsByPartition { partitions[key, default: 0] += count }
        }
        topPartitions = partitions.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(top).map { ($0.key, $0.value) }
        let foreign = Set(listing.foreign)
        for (name, size) in listing.listing.sizes where !foreign.contains(name) {
            diskBytes += size
            if name.hasSuffix(".idx") { indexBytes += size }
        }
    }

    var firstSequence: UInt64? { segments.first(where: { $0.lastSequence != nil })?.baseSequence }
    var lastSequence: UInt64? { segments.last(where: { $0.lastSequence != nil })?.lastSequence }
    var firstTime: Int64? { segments.compactMap { $0.timeRange?.lowerBound }.min() }
    var lastTime: Int64? { segments.compactMap { $0.timeRange?.upperBound }.max() }
    var firstEventTime: Int64? { segments.compactMap { $0.eventTimeRange?.lowerBound }.min() }
    var lastEventTime: Int64? { segments.compactMap { $0.eventTimeRange?.upperBound }.max() }
    /// The least and greatest of event time minus append time over all records.
    var eventLead: ClosedRange<Int64>? {
        guard let low = segments.compactMap({ $0.eventLeadRange?.lowerBound }).min(),
              let high = segments.compactMap({ $0.eventLeadRange?.upperBound }).max() else { return nil }
        return low...high
    }

    /// A signed duration: "-2h 5m" for event times behind append times.
    static func lead(_ micros: Int64) -> String {
        micros < 0 ? "-" + TimeFormat.duration(micros: micros == .min ? .max : -micros) : "+" + TimeFormat.duration(micros: micros)
    }
    var compressionRatio: Double? { storedBytes > 0 && rawBytes > 0 ? Double(rawBytes) / Double(storedBytes) : nil }
    var damage: [DamagedRange] { recovery.damage }

    func json(processing: ProcessingSummary?) -> JSON {
        func time(_ value: Int64?) -> JSON { value.map { .string(TimeFormat.rfc3339($0)) } ?? .null }
        var members: [(String, JSON)] = [
            ("directory", .string(directory)),
            ("writer_pid", writerPID.map { .int(Int64($0)) } ?? .null),
            ("records", .uint(records)),
            ("first_sequence", firstSequence.map(JSON.uint) ?? .null),
            ("last_sequence", lastSequence.map(JSON.uint) ?? .null),
            ("first_time", time(firstTime)),
            ("last_time", time(lastTime)),
            ("first_event_time", time(firstEventTime)),
            ("last_event_time", time(lastEventTime)),
            ("event_minus_append_min_us", eventLead.map { .int($0.lowerBound) } ?? .null),
            ("event_minus_append_max_us", eventLead.map { .int($0.upperBound) } ?? .null),
            ("kinds", .object(kinds.sorted { $0.key < $1.key }.map { (RecordKinds.name($0.key), .uint($0.value)) })),
            ("segments", .array(segments.map { segment in
                .object([
                    ("file", .string(fileName(segment.path))),
                    ("state", .string(segment.isSealed ? "sealed" : "active")),
                    ("indexed", .bool(indexed.contains(segment.baseSequence))),
                    ("first_sequence", .uint(segment.baseSequence)),
                    ("last_sequence", segment.lastSequence.map(JSON.uint) ?? .null),
                    ("records", .uint(segment.recordCount)),
                    ("batches", .uint(segment.batchCount)),
                    ("bytes", .int(segment.fileBytes)),
                    ("raw_bytes", .uint(segment.rawBytes)),
                    ("first_time", time(segment.timeRange?.lowerBound)),
                    ("last_time", time(segment.timeRange?.upperBound)),
                    ("first_event_time", time(segment.eventTimeRange?.lowerBound)),
                    ("last_event_time", time(segment.eventTimeRange?.upperBound)),
                    ("event_minus_append_min_us", segment.eventLeadRange.map { .int($0.lowerBound) } ?? .null),
                    ("event_minus_append_max_us", segment.eventLeadRange.map { .int($0.upperBound) } ?? .null),
                    ("created_at", time(segment.createdAt)),
                    ("kinds", .object(segment.recordsByKind.sorted { $0.key < $1.key }.map { (RecordKinds.name($0.key), .uint($0.value)) })),
                    ("partitions", .int(segment.recordsByPartition.count)),
                ])
            })),
            ("partitions", .object([
                ("count", .int(partitions.count)),
                ("top", .array(topPartitions.map { .object([("partition", .string($0.0)), ("records", .uint($0.1))]) })),
            ])),
            ("bytes", .object([
                ("disk", .int(diskBytes)),
                ("segments", .int(segments.reduce(0) { $0 + $1.fileBytes })),
                ("indexes", .int(indexBytes)),
                ("raw", .uint(rawBytes)),
                ("stored", .int(storedBytes)),
            ])),
            ("compression_ratio", compressionRatio.map { .double(($0 * 100).rounded() / 100) } ?? .null),
            ("recovery", .object([
                ("torn_tail", recovery.truncatedTail.map { tail in
                    .object([("file", .string(fileName(tail.path))), ("offset", .int(tail.offset)), ("bytes", .int(tail.bytes)), ("reason", .string(tail.reason))])
                } ?? .null),
                ("damage", .array(damage.map(Self.damageJSON))),
                ("corrupt_files", .array(corruptFiles.map(JSON.string))),
            ])),
        ]
        if let processing { members.append(("processing", processing.json)) }
        if let processingError { members.append(("processing_error", .string(processingError))) }
        return .object(members)
    }

    static func damageJSON(_ range: DamagedRange) -> JSON {
        .object([
            ("file", .string(fileName(range.path))), ("offset", .int(range.offset)), ("length", .int(range.length)),
            ("reason", .string(range.reason)),
            // [first, last], or [first, null] when how many were lost is unknown.
            ("missing_sequences", range.missingSequences.isEmpty ? .null : .array([
                .uint(range.missingSequences.lowerBound),
                range.missingSequences.upperBound == .max ? .null : .uint(range.missingSequences.upperBound - 1),
            ])),
        ])
    }

    func text(style: Style, processing: ProcessingSummary?) -> String {
        var lines: [String] = []
        lines.append(style.bold("Log ") + directory)
        var facts = Table(["", ""])
        facts.indent = "  "
        facts.showsHeader = false
        let health: String
        if !damage.isEmpty {
            health = style.red("damaged: \(damage.count) unreadable range\(damage.count == 1 ? "" : "s") (run `signallog verify`)")
        } else if processingError != nil {
            health = style.red("damaged: the processing state cannot be read (run `signallog verify`)")
        } else if let tail = recovery.truncatedTail, writerPID == nil {
            health = style.yellow("torn tail: \(tail.bytes) bytes at offset \(tail.offset) of \(fileName(tail.path)) (a writable open or `repair` cuts it)")
        } else {
            health = style.green("ok")
        }
        facts.add(["health", health])
        facts.add(["writer", writerPID.map { $0 > 0 ? style.yellow("running (pid \($0))") : style.yellow("running") } ?? "none"])
        if let first = firstSequence, let last = lastSequence {
            facts.add(["records", "\(Units.count(records))  (sequences \(first)…\(last))"])
        } else {
            facts.add(["records", "0"])
        }
        if let from = firstTime, let to = lastTime {
            facts.add(["time", "\(TimeFormat.rfc3339(from, digits: 3)) → \(TimeFormat.rfc3339(to, digits: 3))  (\(TimeFormat.duration(micros: to - from)))"])
        }
        if let from = firstEventTime, let to = lastEventTime, let lead = eventLead {
            facts.add(["event time", "\(TimeFormat.rfc3339(from, digits: 3)) → \(TimeFormat.rfc3339(to, digits: 3))  (event − append: \(Self.lead(lead.lowerBound)) … \(Self.lead(lead.upperBound)))"])
        }
        let sealed = segments.filter(\.isSealed).count
        facts.add(["segments", "\(segments.count)  (\(sealed) sealed, \(segments.count - sealed) active)"])
        let ratio = compressionRatio.map { ", compression \(Units.fixed($0, 2))×" } ?? ""
        facts.add(["size", "\(Units.bytes(diskBytes)) on disk  (\(Units.bytes(Int64(rawBytes))) of records uncompressed\(ratio))"])
        let kindText = kinds.sorted { $0.key < $1.key }.map { "\(RecordKinds.name($0.key)) \(Units.count($0.value))" }.joined(separator: " · ")
        facts.add(["kinds", kindText.isEmpty ? "-" : kindText])
        facts.add(["partitions", Units.count(partitions.count)])
        if !corruptFiles.isEmpty { facts.add(["set aside", corruptFiles.joined(separator: ", ")]) }
        if let processing {
            for (label, value) in processing.textFacts(style: style) { facts.add([label, value]) }
        } else if let processingError {
            facts.add(["processing", style.red("unreadable: \(processingError)")])
        }
        lines.append(facts.render(style: .plain))

        lines.append("")
        lines.append(style.bold("Segments"))
        var table = Table(["FILE", "STATE", "FIRST", "LAST", "RECORDS", "BATCHES", "SIZE", "RAW", "FROM", "TO"],
                          alignments: [.left, .left, .right, .right, .right, .right, .right, .right, .left, .left])
        table.indent = "  "
        for segment in segments {
            table.add([
                fileName(segment.path),
                segment.isSealed ? "sealed" : style.cyan("active"),
                String(segment.baseSequence),
                segment.lastSequence.map(String.init) ?? "-",
                Units.count(segment.recordCount),
                Units.count(segment.batchCount),
                Units.bytes(segment.fileBytes),
                Units.bytes(Int64(segment.rawBytes)),
                segment.timeRange.map { TimeFormat.rfc3339($0.lowerBound, digits: 0) } ?? "-",
                segment.timeRange.map { TimeFormat.rfc3339($0.upperBound, digits: 0) } ?? "-",
            ])
        }
        lines.append(table.render(style: style))
        if !topPartitions.isEmpty {
            lines.append("")
            lines.append(style.bold("Partitions") + " (top \(topPartitions.count) of \(Units.count(partitions.count)) by records)")
            var parts = Table(["PARTITION", "RECORDS", "SHARE"], alignments: [.left, .right, .right])
            parts.indent = "  "
            for (key, count) in topPartitions {
                parts.add([key.isEmpty ? "(none)" : key, Units.count(count), Units.fixed(100 * Double(count) / Double(max(records, 1)), 1) + "%"])
            }
            lines.append(parts.render(style: style))
        }
        if !damage.isEmpty {
            lines.append("")
            lines.append(style.bold(style.red("Damage")))
            for range in damage { lines.append("  " + range.description) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

func fileName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}
