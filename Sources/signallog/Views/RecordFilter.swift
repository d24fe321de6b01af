import ArgumentParser
import SegmentLog
import SignalLog

/// The filter options of `cat` (and `trace`), as given on the command line.
struct FilterOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only records at or after this time (append time unless --by event).", discussion: "ISO 8601 (2024-05-01T10:00:00Z; no zone means UTC), relative (-1h, -30m, -2d, -1h30m) or epoch milliseconds.", valueName: "time"))
    var since: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only records before this time (same forms as --since).", valueName: "time"))
    var until: String?

    @Option(name: .long, help: ArgumentHelp("Which time --since/--until select by: append (when the log stored the record; cat's default) or event (a signal's own timestamp; other records' append time).", valueName: "append|event"))
    var by: TimeAxisArgument?

    @Option(name: .customLong("partition"), help: ArgumentHelp("Only this partition (repeatable).", valueName: "key"))
    var partitions: [String] = []

    @Option(name: .customLong("kind"), help: ArgumentHelp("Only this record kind: signal, attempt, dlq-move, dlq-resolve, marker, lost, or a number (repeatable).", valueName: "kind"))
    var kinds: [String] = []

    @Option(name: .customLong("type"), help: ArgumentHelp("Only signals of this signal_type (repeatable).", valueName: "type"))
    var types: [String] = []

    @Option(name: .customLong("source"), help: ArgumentHelp("Only signals from this source_id (repeatable).", valueName: "source"))
    var sources: [String] = []

    @Option(name: .customLong("correlation-id"), help: ArgumentHelp("Only records (signals, attempts, DLQ moves) with this correlation id (repeatable).", valueName: "id"))
    var correlationIDs: [String] = []

    @Option(name: .customLong("signal-id"), help: ArgumentHelp("Only records concerning this signal id (repeatable).", valueName: "id"))
    var signalIDs: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only signals whose content matches this regular expression (case-insensitive unless it has capitals).", valueName: "pattern"))
    var grep: String?

    func validate() throws {
        if let since { do { _ = try TimeExpression.parse(since) } catch { throw ValidationError("--since: \(error)") } }
        if let until { do { _ = try TimeExpression.parse(until) } catch { throw ValidationError("--until: \(error)") } }
        for kind in kinds where RecordKinds.parse(kind) == nil {
            throw ValidationError("--kind: unknown record kind '\(kind)' (use signal, attempt, dlq-move, dlq-resolve, marker, lost or 0-255)")
        }
        if let grep {
            do { _ = try Regex(grep) } catch { throw ValidationError("--grep: '\(grep)' is not a valid regular expression") }
        }
    }

    /// `defaultAxis`: what --since/--until select by when --by is not given.
    func compile(now: Int64 = TimeExpression.nowMicroseconds(), defaultAxis: TimeAxis = .append) throws -> RecordFilter {
        var filter = RecordFilter()
        filter.query.timeAxis = by?.axis ?? defaultAxis
        if let since { filter.query.since = try TimeExpression.parse(since, now: now) }
        if let until { filter.query.until = try TimeExpression.parse(until, now: now) }
        if !partitions.isEmpty { filter.query.partitions = Set(partitions) }
        var kindSet: Set<UInt8>? = kinds.isEmpty ? nil : Set(kinds.compactMap(RecordKinds.parse))
        if !types.isEmpty { filter.types = Set(types) }
        if !sources.isEmpty { filter.sources = Set(sources) }
        if !correlationIDs.isEmpty { filter.correlationIDs = Set(correlationIDs) }
        if !signalIDs.isEmpty { filter.signalIDs = Set(signalIDs) }
        if let grep {
            var regex = try Regex(grep)
            if !grep.contains(where: { $0.isUppercase }) { regex = regex.ignoresCase() }
            filter.grep = regex
        }
        // Signal-only filters narrow the kinds read to signals; id filters to the kinds that carry ids.
        if filter.types != nil || filter.sources != nil || filter.grep != nil {
            kindSet = (kindSet ?? [RecordKinds.signal]).intersection([RecordKinds.signal])
        } else if filter.correlationIDs != nil || filter.signalIDs != nil {
            let carriers: Set<UInt8> = [RecordKinds.signal, RecordKinds.attempt, RecordKinds.dlqMove, RecordKinds.dlqResolve]
            kindSet = (kindSet ?? carriers).intersection(carriers)
        }
        filter.query.kinds = kindSet
        return filter
    }
}

/// The values of `--by`.
enum TimeAxisArgument: String, ExpressibleByArgument, CaseIterable {
    case append, event
    var axis: TimeAxis { self == .append ? .append : .event }
}

/// A compiled filter: the part the log's indexes can apply (time, partition,
/// kind) as a ``LogQuery``, and the signal-level part applied to decoded records.
struct RecordFilter {
    var query = LogQuery()
    var types: Set<String>?
    var sources: Set<String>?
    var correlationIDs: Set<String>?
    var signalIDs: Set<String>?
    var grep: Regex<AnyRegexOutput>?

    var hasSignalFilters: Bool { types != nil || sources != nil || correlationIDs != nil || signalIDs != nil || grep != nil }

    /// The record decoded, if it passes the signal-level filters.
    func accept(_ record: LogRecord) -> PresentedRecord? {
        guard hasSignalFilters else { return PresentedRecord(record) }
        // Ids are stored as plain UTF-8 in every payload that carries them:
        // a record whose bytes hold none of the wanted ids is skipped undecoded.
        if let correlationIDs, !correlationIDs.contains(where: { record.payload.contains(utf8: $0) }) { return nil }
        if let signalIDs, !signalIDs.contains(where: { record.payload.contains(utf8: $0) }) { return nil }
        let item = PresentedRecord(record)
        guard let decoded = item.decoded else { return nil }
        if let correlationIDs {
            guard let id = decoded.correlationID, correlationIDs.contains(id) else { return nil }
        }
        if let signalIDs {
            guard let id = decoded.signalID, signalIDs.contains(id) else { return nil }
        }
        if types != nil || sources != nil || grep != nil {
            guard let signal = item.signal else { return nil }
            if let types, !types.contains(signal.type) { return nil }
            if let sources, !sources.contains(signal.sourceID) { return nil }
            if let grep {
                let text: String
                switch signal.content {
                case .text(let value): text = value
                case .json(let value): text = value.serialized()
                }
                guard (try? grep.firstMatch(in: text)) != nil else { return nil }
            }
        }
        return item
    }
}

extension Array where Element == UInt8 {
    /// Whether the UTF-8 bytes of `text` occur in the array.
    func contains(utf8 text: String) -> Bool {
        let needle = Array(text.utf8)
        guard let first = needle.first else { return true }
        guard needle.count <= count else { return false }
        return withUnsafeBufferPointer { haystack in
            var i = 0
            let last = haystack.count - needle.count
            while i <= last {
                if haystack[i] == first {
                    var j = 1
                    while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                    if j == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}
