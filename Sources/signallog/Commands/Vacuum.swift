import ArgumentParser
import SegmentLog
import SignalLog
#if canImport(Glibc)
import Glibc
#endif

/// `signallog vacuum DIR --older-than|--max-size`: retention on demand.
struct Vacuum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove old sealed segments (by age or total size), keeping unresolved work.",
        discussion: """
            Removes whole sealed segments, oldest first, while they are older than --older-than \
            (their newest record) or while the log is larger than --max-size. The active segment \
            is never removed. Unresolved work is kept: signals still pending and dead letters not \
            yet resolved are carried forward (appended again with their original order) before \
            their segment goes, and a segment holding records from within the dedupe TTL is kept, \
            so duplicates are still caught. Needs the log's writer lock.

            Examples:
              signallog vacuum ./log --older-than 7d --dry-run
              signallog vacuum ./log --max-size 10GiB
            """)

    @Argument(help: "The log directory.")
    var directory: String

    @Option(name: .long, help: ArgumentHelp("Remove segments whose newest record is older than this: a duration (7d, 12h) or a time (ISO 8601, epoch ms).", valueName: "age"))
    var olderThan: String?

    @Option(name: .long, help: ArgumentHelp("Remove the oldest segments while the log is larger than this (bytes, or 500MB, 10GiB, 1G).", valueName: "size"))
    var maxSize: String?

    @Option(name: .customLong("dedupe-ttl"), help: ArgumentHelp("The dedupe window of the log's nodes, in seconds.", valueName: "seconds"))
    var dedupeTTL: Int = 300

    @Flag(name: .long, help: "Only show what would be removed.")
    var dryRun = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if olderThan == nil && maxSize == nil { throw ValidationError("give --older-than, --max-size or both") }
        if let olderThan, Self.age(olderThan, now: 0) == nil { throw ValidationError("--older-than: '\(olderThan)' is neither a duration (7d, 12h, 30m) nor a time") }
        if let maxSize, Self.size(maxSize) == nil { throw ValidationError("--max-size: '\(maxSize)' is not a size (use bytes, or 500MB, 10GiB, 1G)") }
    }

    /// An age in microseconds from `7d` / `12h` or from a point in time.
    static func age(_ text: String, now: Int64) -> Int64? {
        let trimmed = text.trimmingSpaces()
        if let offset = TimeExpression.relative(trimmed.hasPrefix("-") ? trimmed : "-" + trimmed) { return abs(offset) }
        if let time = try? TimeExpression.parse(trimmed, now: now) { return max(0, now - time) }
        return nil
    }

    static func size(_ text: String) -> Int64? {
        let trimmed = text.trimmingSpaces()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let amount = Double(digits), amount >= 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters().lowercased()
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kib": scale = 1024
        case "kb": scale = 1000
        case "m", "mib": scale = 1_048_576
        case "mb": scale = 1_000_000
        case "g", "gib": scale = 1_073_741_824
        case "gb": scale = 1_000_000_000
        case "t", "tib": scale = 1_099_511_627_776
        case "tb": scale = 1_000_000_000_000
        default: return nil
        }
        return Int64(amount * scale)
    }

    func run() async throws {
        let style = global.style
        let now = TimeExpression.nowMicroseconds()
        // Only a log gets a lock file: check the directory before taking its lock.
        let unlocked = try LogDirectory.list(directory)
        // Held from the first read of the log to the last removal, so the
        // unresolved work the plan keeps is all there is (docs/cli.md).
        let lock = try unlocked.acquireWriterLock(for: "vacuum (a node can apply retention itself)")
        defer { lock.release() }
        let listing = try LogDirectory.list(directory)
        let policy = RetentionPolicy(maxAge: olderThan.flatMap { Self.age($0, now: now) }, maxTotalBytes: maxSize.flatMap(Self.size))
        let log = try listing.openReadOnly()
        let segments = log.segments()
        // Without knowing the unresolved work, nothing may be removed.
        let inspection: SignalLogInspection
        let pendingBySegment: [UInt64: Int]
        do {
            inspection = try SignalLogInspection(log: log, now: now, dedupeTTL: .seconds(dedupeTTL))
            pendingBySegment = try inspection.pendingCountsBySegment(in: log)
        } catch {
            try? log.close()
            throw CLIError("cannot read the unresolved work in \(directory): \(error); nothing was removed (run `signallog verify \(directory)`)", exitCode: ExitStatus.failure)
        }
        try? log.close()
        let hasSignals = inspection.hasSignals
        let ttlCutoff = now - Int64(dedupeTTL) * 1_000_000

        // The plan: what the engine's policy selects, and what the processing layer keeps.
        struct Candidate { var segment: SegmentInfo; var pending: Int; var deadLetters: Int; var keptForTTL: Bool }
        var candidates: [Candidate] = []
        var total = segments.reduce(Int64(0)) { $0 + $1.fileBytes }
        for segment in segments where segment.isSealed {
            let expired = policy.maxAge.map { age in segment.timeRange.map { $0.upperBound < now - age } ?? true } ?? false
            let oversized = policy.maxTotalBytes.map { total > $0 } ?? false
            guard expired || oversized else { break }
            let range = segment.baseSequence...(segment.lastSequence ?? segment.baseSequence)
            let pending = pendingBySegment[segment.baseSequence] ?? 0
            let dead = inspection.deadLetters.values.filter { range.contains($0.sequence) }.count
            let keep = hasSignals && (segment.timeRange.map { $0.upperBound >= ttlCutoff } ?? false)
            candidates.append(Candidate(segment: segment, pending: pending, deadLetters: dead, keptForTTL: keep))
            total -= segment.fileBytes
            if keep { break }
        }
        let out = OutputBuffer()
        let removable = candidates.prefix { !$0.keptForTTL }
        if candidates.isEmpty {
            out.line("Nothing to remove: no sealed segment of \(directory) is past the policy.")
            out.flush()
            return
        }
        out.line(style.bold(dryRun ? "Would remove from \(directory):" : "Removing from \(directory):"))
        var table = Table(["SEGMENT", "RECORDS", "SIZE", "NEWEST", "CARRIED FORWARD"], alignments: [.left, .right, .right, .left, .left])
        table.indent = "  "
        for candidate in candidates {
            let segment = candidate.segment
            let carried: String
            if candidate.keptForTTL {
                carried = style.yellow("kept: holds records within the \(dedupeTTL) s dedupe TTL")
            } else if candidate.pending + candidate.deadLetters > 0 {
                carried = "\(candidate.pending) pending, \(candidate.deadLetters) dead letters"
            } else {
                carried = "-"
            }
            table.add([fileName(segment.path), Units.count(segment.recordCount), Units.bytes(segment.fileBytes),
                       segment.timeRange.map { TimeFormat.rfc3339($0.upperBound, digits: 0) } ?? "-", carried])
        }
        out.line(table.render(style: style))
        if dryRun {
            out.line("Dry run: nothing was changed.")
            out.flush()
            return
        }
        out.flush()
        guard !removable.isEmpty else { return }
        KillPoint.hit("vacuum.planned")

        let removed: [SegmentInfo]
        if hasSignals {
            let node = try AcceptOnlyNode.open(directory: directory, dedupeTTL: .seconds(dedupeTTL), writerLock: lock)
            do {
                removed = try node.applyRetention(policy)
            } catch {
                await node.gracefulShutdown(timeout: .zero)
                throw CLIError("retention failed: \(error)", exitCode: ExitStatus.failure)
            }
            await node.gracefulShutdown(timeout: .zero)
        } else {
            do {
                var options = LogOptions()
                options.writerLock = lock
                let writable = try SegmentLog.open(directory: directory, options: options)
                defer { try? writable.close() }
                removed = try writable.applyRetention(policy)
            } catch let error as SegmentLogError {
                throw CLIError.from(error, directory: directory)
            }
        }
        let bytes = removed.reduce(Int64(0)) { $0 + $1.fileBytes }
        out.line("Removed \(removed.count) segment\(removed.count == 1 ? "" : "s") (\(Units.count(removed.reduce(0) { $0 + $1.recordCount })) records, \(Units.bytes(bytes)))" + (removed.count < removable.count ? "; the rest were kept by the processing layer" : "") + ".")
        out.flush()
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmingSpaces() }
}
