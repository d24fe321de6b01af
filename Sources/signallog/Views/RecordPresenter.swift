import ArgumentParser
import SegmentLog
import SignalLog

/// Output formats of `cat`, `trace` and `dlq`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// Aligned, readable lines.
    case text
    /// One JSON array of record objects (one object per line inside it).
    case json
    /// One record object per line.
    case ndjson
    /// One CloudEvents 1.0 JSON object per line, for signal records only.
    case cloudevents
}

/// A log record with its payload decoded by the processing layer when it can be.
struct PresentedRecord {
    var record: LogRecord
    var decoded: DecodedSignalRecord?
    var decodeError: String?

    init(_ record: LogRecord) {
        self.record = record
        if SignalRecordKind(rawValue: record.kind) != nil {
            do {
                decoded = try DecodedSignalRecord.decode(kind: record.kind, payload: record.payload)
            } catch {
                decodeError = "\(error)"
            }
        }
    }

    var signal: Signal? {
        if case .signal(let value)? = decoded { return value.signal }
        return nil
    }

    /// The time the record stands for: append time.
    var time: Int64 { record.timestamp }
}

/// Renders records as text lines, JSON objects or CloudEvents.
struct RecordPresenter {
    var style: Style
    /// Maximum width of a text line (terminal width), or nil for no limit.
    var width: Int?

    // MARK: Text

    func text(_ item: PresentedRecord) -> String {
        let record = item.record
        let kindName = RecordKinds.name(record.kind)
        var head = style.dim(TimeFormat.rfc3339(record.timestamp, digits: 3))
        head += " " + leftPad(String(record.sequence), 8)
        head += " " + kindStyle(record.kind)(rightPad(kindName, 11))
        head += " " + style.bold(rightPad(record.partition.isEmpty ? "-" : record.partition, 16))
        let detail = details(item)
        var line = head + " " + detail
        if let width, Table.visibleWidth(line) > width {
            line = truncate(line, to: width)
        }
        return line
    }

    private func kindStyle(_ kind: UInt8) -> (String) -> String {
        switch kind {
        case RecordKinds.signal: return style.green
        case RecordKinds.attempt: return style.blue
        case RecordKinds.dlqMove: return style.red
        case RecordKinds.dlqResolve: return style.magenta
        case RecordKinds.marker: return style.cyan
        case RecordKinds.lost: return style.red
        default: return { $0 }
        }
    }

    func details(_ item: PresentedRecord) -> String {
        guard let decoded = item.decoded else {
            if let error = item.decodeError { return payloadPreview(item.record.payload) + style.dim("  [not a readable processing record: \(error)]") }
            return payloadPreview(item.record.payload)
        }
        switch decoded {
        case .signal(let value):
            let signal = value.signal
            var text = "\(style.bold(signal.type)) from \(signal.sourceID) id=\(signal.id) urgency=\(Units.fixed(signal.urgency, 2)) corr=\(signal.correlationID)"
            if signal.schemaVersion != "1.0" { text += " schema=\(signal.schemaVersion)" }
            if signal.retryCount > 0 { text += " retry=\(signal.retryCount)" }
            if let carried = value.carriedFrom { text += " carried-from=#\(carried)" }
            return text + " " + contentPreview(signal.content)
        case .attempt(let value):
            let attempt = value.attempt
            let outcome: String
            switch attempt.outcome {
            case .processed: outcome = style.green("processed")
            case .failed(let error): outcome = style.red("failed") + ": " + escape(error)
            case .duplicate(let original): outcome = style.yellow("duplicate") + " of \(original)"
            case .conflict(let original): outcome = style.yellow("conflict") + " with \(original)"
            case .rejected(let reason): outcome = style.yellow("rejected") + ": " + escape(reason)
            }
            switch attempt.outcome {
            case .processed, .failed:
                return "signal=\(attempt.signalID) node=\(attempt.nodeID) attempt=\(attempt.attempt) took \(TimeFormat.duration(micros: attempt.duration)) \(outcome)"
            default:
                return "signal=\(attempt.signalID) node=\(attempt.nodeID) \(outcome)"
            }
        case .deadLetterMove(let move):
            return "signal=\(move.signalID) \(style.red(move.reason.description)) retries=\(move.retryCount) node=\(move.nodeID) error: \(escape(move.error))"
        case .deadLetterResolve(let resolve):
            return "signal=\(resolve.signalID) \(resolve.resolution.description) node=\(resolve.nodeID)"
        case .marker(let marker):
            let type = marker.type == .cleanShutdown ? "clean-shutdown" : "checkpoint"
            return "\(type) node=\(marker.nodeID) low-water=#\(marker.lowWaterSequence) received=\(marker.totals.received) processed=\(marker.totals.processed) dead-letters=\(marker.deadLetters.count)"
        }
    }

    func contentPreview(_ content: SignalContent) -> String {
        switch content {
        case .text(let text): return "\"" + escape(text) + "\""
        case .json(let value): return value.serialized()
        }
    }

    func payloadPreview(_ payload: [UInt8]) -> String {
        if let text = String(validating: payload, as: UTF8.self), !text.contains(where: { $0.isASCII && $0.asciiValue! < 32 && $0 != "\n" && $0 != "\t" }) {
            return escape(text)
        }
        return "<\(payload.count) bytes>"
    }

    private func escape(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 32 || $0 == 127 }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 32 || scalar.value == 127 { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    private func leftPad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private func rightPad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Cuts a line to `width` visible columns, keeping escape sequences balanced.
    private func truncate(_ line: String, to width: Int) -> String {
        var out = ""
        var visible = 0
        var inEscape = false
        for scalar in line.unicodeScalars {
            if inEscape {
                out.unicodeScalars.append(scalar)
                if scalar == "m" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" { inEscape = true; out.unicodeScalars.append(scalar); continue }
            if visible >= width - 1 { break }
            out.unicodeScalars.append(scalar)
            visible += 1
        }
        return out + "…" + (style.enabled ? "\u{1B}[0m" : "")
    }

    // MARK: JSON

    /// Appends the record object as compact JSON: straight into the bytes for
    /// plain signal records (the bulk of an export), through ``json(_:)`` otherwise.
    static func writeJSON(_ item: PresentedRecord, to out: inout [UInt8]) {
        guard case .signal(let value)? = item.decoded, value.carriedFrom == nil, value.signal.extraFields.isEmpty else {
            json(item).write(to: &out, indent: nil, level: 0)
            return
        }
        let record = item.record
        out.append(contentsOf: #"{"sequence":"#.utf8)
        out.append(contentsOf: String(record.sequence).utf8)
        out.append(contentsOf: #","time":""#.utf8)
        RFC3339.append(microseconds: record.timestamp, to: &out)
        out.append(contentsOf: #"","kind":"signal","partition":"#.utf8)
        JSON.appendString(record.partition, to: &out)
        out.append(contentsOf: #","signal":"#.utf8)
        SignalJSON.write(value.signal, into: &out)
        out.append(125)
    }

    /// The stable record object (docs/cli.md, "Record objects").
    static func json(_ item: PresentedRecord) -> JSON {
        let record = item.record
        var members: [(String, JSON)] = [
            ("sequence", .uint(record.sequence)),
            ("time", .string(TimeFormat.rfc3339(record.timestamp))),
            ("kind", .string(RecordKinds.name(record.kind))),
            ("partition", .string(record.partition)),
        ]
        if let decoded = item.decoded {
            members.append(contentsOf: body(decoded))
        } else if record.kind == RecordKinds.lost, let value = try? JSONValue.parse(record.payload) {
            members.append(("lost", .raw(value.serialized())))
        } else {
            if let error = item.decodeError { members.append(("decode_error", .string(error))) }
            if let text = String(validating: record.payload, as: UTF8.self) {
                members.append(("payload_text", .string(text)))
            } else {
                members.append(("payload_base64", .string(Base64.encode(record.payload))))
            }
        }
        return .object(members)
    }

    static func body(_ decoded: DecodedSignalRecord) -> [(String, JSON)] {
        func time(_ micros: Int64) -> JSON { .string(TimeFormat.rfc3339(micros)) }
        switch decoded {
        case .signal(let value):
            var members: [(String, JSON)] = [("signal", .raw(SignalJSON.encode(value.signal)))]
            if let carried = value.carriedFrom { members.append(("carried_from", .uint(carried))) }
            return members
        case .attempt(let value):
            let attempt = value.attempt
            let (outcome, detail): (String, String?)
            switch attempt.outcome {
            case .processed: (outcome, detail) = ("processed", nil)
            case .failed(let error): (outcome, detail) = ("failed", error)
            case .duplicate(let original): (outcome, detail) = ("duplicate", original)
            case .conflict(let original): (outcome, detail) = ("conflict", original)
            case .rejected(let reason): (outcome, detail) = ("rejected", reason)
            }
            return [("attempt", .object([
                ("signal_id", .string(attempt.signalID)),
                ("node_id", .string(attempt.nodeID)),
                ("attempt", .int(attempt.attempt)),
                ("started_at", time(attempt.startedAt)),
                ("duration_us", .int(attempt.duration)),
                ("outcome", .string(outcome)),
                ("detail", .optional(detail)),
                ("correlation_id", .string(attempt.correlationID)),
            ]))]
        case .deadLetterMove(let move):
            return [("dlq_move", .object([
                ("signal_id", .string(move.signalID)),
                ("reason", .string(move.reason.description)),
                ("error", .string(move.error)),
                ("node_id", .string(move.nodeID)),
                ("correlation_id", .string(move.correlationID)),
                ("time", time(move.time)),
                ("retry_count", .int(move.retryCount)),
                ("signal_sequence", .uint(move.signalSequence)),
            ]))]
        case .deadLetterResolve(let resolve):
            return [("dlq_resolve", .object([
                ("signal_id", .string(resolve.signalID)),
                ("resolution", .string(resolve.resolution.description)),
                ("node_id", .string(resolve.nodeID)),
                ("correlation_id", .string(resolve.correlationID)),
                ("time", time(resolve.time)),
            ]))]
        case .marker(let marker):
            let totals = marker.totals
            return [("marker", .object([
                ("type", .string(marker.type == .cleanShutdown ? "clean_shutdown" : "checkpoint")),
                ("time", time(marker.time)),
                ("node_id", .string(marker.nodeID)),
                ("low_water_sequence", .uint(marker.lowWaterSequence)),
                ("totals", .object([
                    ("received", .uint(totals.received)), ("processed", .uint(totals.processed)),
                    ("failed_attempts", .uint(totals.failedAttempts)), ("duplicates", .uint(totals.duplicates)),
                    ("conflicts", .uint(totals.conflicts)), ("rejected", .uint(totals.rejected)),
                    ("dead_lettered", .uint(totals.deadLettered)), ("reprocessed", .uint(totals.reprocessed)),
                    ("discarded", .uint(totals.discarded)),
                ])),
                ("dead_letters", .int(marker.deadLetters.count)),
            ]))]
        }
    }

    /// One CloudEvents 1.0 line for a signal record; nil for other kinds.
    static func cloudEvent(_ item: PresentedRecord) -> String? {
        guard let signal = item.signal else { return nil }
        return CloudEvent(signal: signal).encode()
    }
}
