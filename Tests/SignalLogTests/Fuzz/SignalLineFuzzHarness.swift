#if canImport(SignalLog)
@testable import SignalLog
#endif

/// The line decoder under fuzzing: arbitrary bytes go through both paths
/// of ``SignalLineDecoder`` and of JSON parsing, which must agree.
///
/// - JSON: ``JSONByteReader`` accepts a text exactly when
///   ``JSONValue/parse(_:deepest:)`` does, with identical values (numbers
///   to the bit), except that it declines texts nesting
///   ``JSONByteReader/maxDepth`` levels or deeper.
/// - Signals: a line the fast path decodes, the reference path decodes to
///   the same signal (fields a decoder generates when the line has none,
///   a random id or the time of decoding, are compared by kind);
///   ``SignalLineDecoder/decode(_:)`` gives the reference's answer, error
///   for error.
///
/// The same code runs under libFuzzer (tools/fuzz, where a violation
/// aborts) and in the corpus replay test (a violation fails the test).
enum SignalLineFuzzHarness {
    /// Nil, or the invariant `input` broke.
    static func run(_ input: [UInt8]) -> String? {
        input.withUnsafeBytes { bytes in
            if let violation = json(bytes) { return violation }
            return line(bytes)
        }
    }

    /// Both JSON parsers on `bytes`.
    static func json(_ bytes: UnsafeRawBufferPointer) -> String? {
        var deepest = 0
        let reference = Result { () throws(SignalJSONError) in try JSONValue.parse(bytes, deepest: &deepest) }
        let fast = fastJSON(bytes)
        switch (fast, reference) {
        case (let fast?, .success(let value)):
            return identical(fast, value) ? nil : "the JSON readers disagree: \(fast) against \(value)"
        case (let fast?, .failure(let error)):
            return "the fast JSON reader accepted \(fast) where the reference refuses: \(error)"
        case (nil, .success):
            return deepest >= JSONByteReader.maxDepth ? nil : "the fast JSON reader declined a text the reference reads (nesting \(deepest))"
        case (nil, .failure):
            return nil
        }
    }

    /// ``JSONByteReader`` on a whole text; nil when it declines.
    static func fastJSON(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        guard var reader = JSONByteReader(bytes) else { return nil }
        do throws(JSONFastPathDeclined) {
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            return reader.atEnd ? value : nil
        } catch {
            return nil
        }
    }

    /// Both line decoders on `bytes`.
    static func line(_ bytes: UnsafeRawBufferPointer) -> String? {
        let reference = Result { () throws(SignalJSONError) in try SignalLineDecoder.reference(bytes) }
        let decoded = Result { () throws(SignalJSONError) in try SignalLineDecoder.decode(bytes) }
        switch (decoded, reference) {
        case (.failure(let mine), .failure(let theirs)):
            if mine != theirs { return "decode refused with \(mine), the reference with \(theirs)" }
        case (.success(let signal), .failure(let error)):
            return "decode accepted \(SignalJSON.encode(signal)) where the reference refuses: \(error)"
        case (.failure(let error), .success):
            return "decode refused a line the reference accepts: \(error)"
        case (.success(let mine), .success(let theirs)):
            if let difference = difference(mine, theirs) { return difference }
        }
        if let fast = SignalLineDecoder.fast(bytes) {
            guard case .success(let theirs) = reference else { return "the fast path accepted a line the reference refuses" }
            return difference(fast, theirs)
        }
        return nil
    }

    /// Where two decodings of one line differ, or nil. Ids, correlation ids
    /// and idempotency keys a decoder generated, and times it took from the
    /// clock, differ between any two decodings and are compared by kind.
    static func difference(_ a: Signal, _ b: Signal) -> String? {
        func generated(_ id: String) -> Bool {
            let bytes = Array(id.utf8)
            return bytes.count == 36 && bytes[14] == UInt8(ascii: "4") && [8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") }
        }
        if a.content != b.content || !identical(a.content.jsonValue, b.content.jsonValue) { return "content \(a.content) against \(b.content)" }
        if a.type != b.type || a.sourceID != b.sourceID { return "type or source \(a.type)/\(a.sourceID) against \(b.type)/\(b.sourceID)" }
        if a.urgency.bitPattern != b.urgency.bitPattern { return "urgency \(a.urgency) against \(b.urgency)" }
        if a.requiresResponse != b.requiresResponse { return "requires_response \(a.requiresResponse) against \(b.requiresResponse)" }
        if a.partitionKey != b.partitionKey { return "partition_key \(a.partitionKey) against \(b.partitionKey)" }
        if a.schemaVersion != b.schemaVersion || a.retryCount != b.retryCount { return "schema version or retry count differ" }
        if a.traceparent != b.traceparent { return "traceparent \(a.traceparent ?? "nil") against \(b.traceparent ?? "nil")" }
        if a.extraFields.count != b.extraFields.count
            || !a.extraFields.allSatisfy({ key, value in b.extraFields[key].map { identical(value, $0) } ?? false }) {
            return "extra fields \(a.extraFields) against \(b.extraFields)"
        }
        if a.id != b.id && !(generated(a.id) && generated(b.id)) { return "id \(a.id) against \(b.id)" }
        if a.correlationID != b.correlationID && !(generated(a.correlationID) && generated(b.correlationID)) {
            return "correlation_id \(a.correlationID) against \(b.correlationID)"
        }
        if a.idempotencyKey != b.idempotencyKey
            && !(a.idempotencyKey == Signal.defaultIdempotencyKey(sourceID: a.sourceID, type: a.type, id: a.id)
                && b.idempotencyKey == Signal.defaultIdempotencyKey(sourceID: b.sourceID, type: b.type, id: b.id)) {
            return "idempotency_key \(a.idempotencyKey) against \(b.idempotencyKey)"
        }
        // Times from the clock are taken microseconds apart; explicit ones are equal.
        if abs(a.createdAt - b.createdAt) > 60_000_000 { return "timestamp \(a.createdAt) against \(b.createdAt)" }
        return nil
    }

    /// Equal values, numbers compared by their bits (so 0 and -0 differ).
    static func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { identical(value, $0) } ?? false }
        default: return false
        }
    }
}
