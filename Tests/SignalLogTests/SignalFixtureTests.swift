import Foundation
import SegmentLog
import SignalLog
import Testing

/// The golden node log fixtures/v1/node (written by `slog-signal-fixture-gen`)
/// pins the record encodings of docs/signals.md: every payload is decoded,
/// checked against what the generator sent, and written again by
/// ``DocumentedLayout`` — an encoder written from the tables of
/// docs/signals.md alone, not the library's — which must give the stored
/// bytes exactly.
@Suite("Golden node log: record encodings of docs/signals.md")
struct SignalFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/v1/node").standardized.path

    private func records() throws -> [(LogRecord, DecodedSignalRecord)] {
        let log = try SegmentLog.openReadOnly(directory: Self.directory)
        defer { try? log.close() }
        let reader = log.read()
        var all: [(LogRecord, DecodedSignalRecord)] = []
        while let record = try reader.next() {
            #expect(SignalRecordKind(rawValue: record.kind) != nil, "sequence \(record.sequence): kind \(record.kind)")
            all.append((record, try DecodedSignalRecord.decode(kind: record.kind, payload: record.payload)))
        }
        return all
    }

    @Test func everyPayloadIsItsDocumentedLayout() throws {
        let all = try records()
        #expect(all.count == 27)
        for (record, decoded) in all {
            #expect(DocumentedLayout.encode(decoded) == record.payload, "sequence \(record.sequence) (\(decoded))")
            // Records of a signal use its partition key; markers the empty partition.
            if case .marker = decoded { #expect(record.partition == "") } else { #expect(record.partition == "golden-partition") }
        }
        // Every kind, every attempt outcome, three dead-letter reasons, both
        // resolutions and both marker types are in the log.
        var seen = Set<String>()
        for (_, decoded) in all {
            switch decoded {
            case .signal(let record):
                seen.insert("signal")
                if record.signal.traceparent != nil { seen.insert("signal+traceparent") }
                if case .json = record.signal.content { seen.insert("signal+json") }
                if !record.signal.extraFields.isEmpty { seen.insert("signal+extra") }
                if record.signal.requiresResponse { seen.insert("signal+requires-response") }
            case .attempt(let record):
                switch record.attempt.outcome {
                case .processed: seen.insert("processed")
                case .failed: seen.insert("failed")
                case .duplicate: seen.insert("duplicate")
                case .conflict: seen.insert("conflict")
                case .rejected: seen.insert("rejected")
                }
            case .deadLetterMove(let record): seen.insert("move:\(record.reason)")
            case .deadLetterResolve(let record): seen.insert("resolve:\(record.resolution)")
            case .marker(let record): seen.insert("marker:\(record.type.rawValue)")
            }
        }
        #expect(seen == ["signal", "signal+traceparent", "signal+json", "signal+extra", "signal+requires-response",
                         "processed", "failed", "duplicate", "conflict", "rejected",
                         "move:unknown_signal_type", "move:unsupported_schema_version", "move:processing_failed",
                         "resolve:reprocessed", "resolve:discarded", "marker:1", "marker:2"])
    }

    @Test func signalsReadBackAsTheGeneratorSentThem() throws {
        let signals = try records().compactMap { _, decoded -> Signal? in
            if case .signal(let record) = decoded { return record.signal } else { return nil }
        }
        #expect(signals.map(\.id) == ["golden-signal-1", "golden-signal-2", "golden-signal-6", "golden-signal-7",
                                      "golden-signal-8", "golden-signal-9", "golden-signal-10"])
        let first = try #require(signals.first)
        #expect(first.content == .text("plain text, \"quoted\", é€😀"))
        #expect(first.type == "ok" && first.sourceID == "golden-source" && first.requiresResponse)
        #expect(first.urgency == 1.0 / 16 && first.createdAt == 1_767_225_000_123_457)
        #expect(first.idempotencyKey == "golden-key-1" && first.partitionKey == "golden-partition")
        #expect(first.correlationID == "golden-correlation-1" && first.schemaVersion == "1.0" && first.retryCount == 0)
        #expect(first.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let second = signals[1]
        #expect(second.schemaVersion == "1.1")
        #expect(second.content == .json(.object(["n": .number(2.5), "list": .array([.null, .bool(true), .bool(false), .string("s")]),
                                                 "nested": .object(["k": .number(-1)])])))
        #expect(second.extraFields == ["x_region": .string("eu-1"), "x_rank": .number(3)])
        #expect(signals[3].schemaVersion == "9.9")
    }

    @Test func theMarkersSummariseTheLog() throws {
        let markers = try records().compactMap { record, decoded -> (UInt64, MarkerRecord)? in
            if case .marker(let marker) = decoded { return (record.sequence, marker) } else { return nil }
        }
        #expect(markers.map(\.1.type) == [.checkpoint, .cleanShutdown])
        for (sequence, marker) in markers {
            #expect(marker.nodeID == "golden-node")
            // Nothing was pending: the low-water mark is the marker's own sequence.
            #expect(marker.lowWaterSequence == sequence)
            #expect(marker.totals.received == 7 && marker.totals.processed == 4)
            #expect(marker.totals.duplicates == 1 && marker.totals.conflicts == 1 && marker.totals.rejected == 1)
            #expect(marker.deadLetters.map(\.signalID) .sorted() == ["golden-signal-6", "golden-signal-7"])
            #expect(marker.pending == [])
        }
    }
}

/// The payload layouts of docs/signals.md ("Encoding rules" and the table
/// of each kind), written from that text alone.
enum DocumentedLayout {
    static func encode(_ record: DecodedSignalRecord) -> [UInt8] {
        var out = Out()
        switch record {
        case .signal(let record):
            let signal = record.signal
            var flags: UInt8 = 0
            if signal.requiresResponse { flags |= 1 }
            if signal.traceparent != nil { flags |= 2 }
            if case .json = signal.content { flags |= 4 }
            if record.carriedFrom != nil { flags |= 8 }
            if !signal.extraFields.isEmpty { flags |= 16 }
            out.u8(1); out.u8(flags); out.f64(signal.urgency); out.i64(signal.createdAt); out.varint(UInt64(signal.retryCount))
            for text in [signal.id, signal.type, signal.sourceID, signal.idempotencyKey, signal.partitionKey, signal.correlationID, signal.schemaVersion] {
                out.str(text)
            }
            if let traceparent = signal.traceparent { out.str(traceparent) }
            if let carried = record.carriedFrom { out.varint(carried) }
            switch signal.content {
            case .text(let text): out.str(text)
            case .json(let value): out.json(value)
            }
            if !signal.extraFields.isEmpty { out.json(.object(signal.extraFields)) }
        case .attempt(let record):
            let attempt = record.attempt
            let (code, detail): (UInt8, String)
            switch attempt.outcome {
            case .processed: (code, detail) = (1, "")
            case .failed(let error): (code, detail) = (2, error)
            case .duplicate(let original): (code, detail) = (3, original)
            case .conflict(let original): (code, detail) = (4, original)
            case .rejected(let reason): (code, detail) = (5, reason)
            }
            out.u8(1); out.u8(code); out.i64(attempt.startedAt); out.i64(attempt.duration); out.varint(UInt64(attempt.attempt))
            out.str(attempt.signalID); out.str(attempt.nodeID); out.str(attempt.correlationID); out.str(detail)
        case .deadLetterMove(let record):
            out.u8(1); out.u8(record.reason.rawValue); out.i64(record.time); out.varint(UInt64(record.retryCount)); out.varint(record.signalSequence)
            out.str(record.signalID); out.str(record.nodeID); out.str(record.correlationID); out.str(record.error)
        case .deadLetterResolve(let record):
            out.u8(1); out.u8(record.resolution.rawValue); out.i64(record.time)
            out.str(record.signalID); out.str(record.nodeID); out.str(record.correlationID)
        case .marker(let record):
            out.u8(1); out.u8(record.type.rawValue); out.i64(record.time); out.str(record.nodeID); out.varint(record.lowWaterSequence)
            let counters = record.totals
            let values = [counters.received, counters.processed, counters.failedAttempts, counters.duplicates, counters.conflicts,
                          counters.rejected, counters.deadLettered, counters.reprocessed, counters.discarded]
            out.varint(UInt64(values.count))
            for value in values { out.varint(value) }
            out.varint(UInt64(record.deadLetters.count))
            for entry in record.deadLetters {
                out.str(entry.signalID); out.varint(entry.signalSequence); out.u8(entry.reason.rawValue); out.i64(entry.time)
                out.varint(UInt64(entry.retryCount)); out.str(entry.nodeID); out.str(entry.error)
            }
            if let pending = record.pending {
                out.varint(UInt64(pending.count))
                for entry in pending {
                    out.str(entry.partition); out.varint(entry.headOrder); out.varint(entry.count); out.varint(entry.finishedAhead)
                }
            }
        }
        return out.bytes
    }

    struct Out {
        var bytes: [UInt8] = []
        mutating func u8(_ value: UInt8) { bytes.append(value) }
        mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
        mutating func u64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
        mutating func f64(_ value: Double) { u64(value.bitPattern) }
        mutating func varint(_ value: UInt64) {
            var rest = value
            while rest >= 0x80 { bytes.append(UInt8(rest & 0x7F) | 0x80); rest >>= 7 }
            bytes.append(UInt8(rest))
        }
        mutating func str(_ text: String) { varint(UInt64(text.utf8.count)); bytes.append(contentsOf: text.utf8) }
        mutating func json(_ value: JSONValue) {
            switch value {
            case .null: u8(0)
            case .bool(let flag): u8(flag ? 2 : 1)
            case .number(let number): u8(3); f64(number)
            case .string(let text): u8(4); str(text)
            case .array(let items): u8(5); varint(UInt64(items.count)); for item in items { json(item) }
            case .object(let members):
                u8(6); varint(UInt64(members.count))
                // Keys in ascending byte order.
                for key in members.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
                    str(key); json(members[key]!)
                }
            }
        }
    }
}

/// The refusals docs/signals.md lists under "Encoding rules", on a
/// dlq-resolve payload whose `time` is followed by a `signal_id` length
/// spelled in each way.
@Suite("Record decoding limits of docs/signals.md")
struct RecordDecodingLimitTests {
    /// version 1, resolution 1, time 0, then `length` bytes as the signal id's length.
    private func resolve(length: [UInt8], tail: [UInt8] = []) -> [UInt8] {
        [1, 1] + [UInt8](repeating: 0, count: 8) + length + tail
    }

    private func error(_ payload: [UInt8]) -> SignalRecordError? {
        do { _ = try DeadLetterResolveRecord.decode(payload); return nil } catch { return error }
    }

    @Test func varintsLongerThanTenBytesOrPast64BitsAreRefused() {
        // Ten bytes whose last is 0x02: the value needs a 65th bit.
        let overflow = [UInt8](repeating: 0xFF, count: 9) + [0x02]
        #expect(error(resolve(length: overflow)) == .invalid(field: "signal_id", reason: "varint overflows 64 bits"))
        // A continuation bit on the tenth byte is the same fault: no eleventh byte is read.
        let eleven = [UInt8](repeating: 0x80, count: 10) + [0x00]
        #expect(error(resolve(length: eleven)) == .invalid(field: "signal_id", reason: "varint overflows 64 bits"))
        #expect(error(resolve(length: [0x80, 0x80])) == .truncated(field: "signal_id"))
    }

    @Test func aLongerThanNeededVarintReadsAsItsValue() throws {
        // Length 1 spelled in two bytes, then "a", then the node and correlation ids.
        let payload = resolve(length: [0x81, 0x00], tail: Array("a".utf8) + [1] + Array("n".utf8) + [1] + Array("c".utf8))
        let record = try DeadLetterResolveRecord.decode(payload)
        #expect(record.signalID == "a" && record.nodeID == "n" && record.correlationID == "c")
    }

    @Test func aLengthBeyondTheBytesLeftIsRefusedBeforeAllocating() {
        // 2^62 bytes of signal id claimed by a payload of a dozen bytes.
        let huge: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]
        #expect(error(resolve(length: huge)) != nil)
        #expect(error(resolve(length: [5], tail: Array("abc".utf8))) != nil)
    }
}
