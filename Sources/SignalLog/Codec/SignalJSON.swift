/// Why a JSON signal (or CloudEvent) could not be decoded: which field and
/// what is wrong with it, or where the text stops being JSON.
public enum SignalJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not JSON; `offset` is the byte offset of the problem.
    case syntax(offset: Int, message: String)
    /// The JSON value is not an object.
    case notAnObject(found: String)
    /// A required field is absent.
    case missingField(String)
    /// A field has the wrong JSON type.
    case wrongType(field: String, expected: String, found: String)
    /// A field has the right type but an unacceptable value.
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case let .syntax(offset, message): return "invalid JSON at byte \(offset): \(message)"
        case let .notAnObject(found): return "expected a JSON object, found \(found)"
        case let .missingField(field): return "missing required field \"\(field)\""
        case let .wrongType(field, expected, found): return "field \"\(field)\" must be \(expected), found \(found)"
        case let .invalidValue(field, reason): return "field \"\(field)\": \(reason)"
        }
    }

    /// The field at fault, if the error concerns one.
    public var field: String? {
        switch self {
        case .syntax, .notAnObject: return nil
        case .missingField(let field): return field
        case .wrongType(let field, _, _), .invalidValue(let field, _): return field
        }
    }
}

/// Signals as JSON objects with the original system's attribute names:
/// `id`, `content` (string or any JSON value), `signal_type`, `urgency`
/// (0.0–1.0), `source_id`, `requires_response`, `idempotency_key`,
/// `partition_key`, `correlation_id`, `schema_version`, `retry_count`,
/// `timestamp` (epoch milliseconds or RFC 3339) and optional `traceparent`.
/// Only `content`, `signal_type`, `urgency` and `source_id` are required;
/// unknown fields are kept in ``Signal/extraFields`` and written back.
public enum SignalJSON {
    /// The attribute names this version understands.
    public static let knownFields: Set<String> = [
        "id", "content", "signal_type", "urgency", "source_id", "requires_response", "idempotency_key",
        "partition_key", "correlation_id", "schema_version", "retry_count", "timestamp", "traceparent",
    ]

    /// Decodes one JSON object (for example one NDJSON line).
    ///
    /// - Parameter line: the JSON text.
    /// - Returns: the signal.
    /// - Throws: ``SignalJSONError``: ``SignalJSONError/syntax(offset:message:)`` when
    ///   the text is not JSON; ``SignalJSONError/notAnObject(found:)`` when it is
    ///   not an object; ``SignalJSONError/missingField(_:)`` when `content`,
    ///   `signal_type`, `urgency` or `source_id` is absent;
    ///   ``SignalJSONError/wrongType(field:expected:found:)`` for a field of the
    ///   wrong JSON type; ``SignalJSONError/invalidValue(field:reason:)`` for a
    ///   value out of range (an urgency outside 0.0–1.0, an empty string, a
    ///   timestamp outside the supported range, a malformed `traceparent`).
    public static func decode(line: some StringProtocol) throws(SignalJSONError) -> Signal {
        try decode(JSONValue.parse(line))
    }

    /// Decodes one JSON object from UTF-8 bytes.
    ///
    /// - Parameter bytes: the JSON text as UTF-8.
    /// - Returns: the signal.
    /// - Throws: ``SignalJSONError``: ``SignalJSONError/syntax(offset:message:)`` when
    ///   the text is not JSON; ``SignalJSONError/notAnObject(found:)`` when it is
    ///   not an object; ``SignalJSONError/missingField(_:)`` when `content`,
    ///   `signal_type`, `urgency` or `source_id` is absent;
    ///   ``SignalJSONError/wrongType(field:expected:found:)`` for a field of the
    ///   wrong JSON type; ``SignalJSONError/invalidValue(field:reason:)`` for a
    ///   value out of range (an urgency outside 0.0–1.0, an empty string, a
    ///   timestamp outside the supported range, a malformed `traceparent`).
    public static func decode(bytes: [UInt8]) throws(SignalJSONError) -> Signal {
        try decode(JSONValue.parse(bytes))
    }

    /// Decodes a parsed JSON object.
    ///
    /// - Parameter value: the parsed JSON value.
    /// - Returns: the signal.
    /// - Throws: ``SignalJSONError``: ``SignalJSONError/notAnObject(found:)`` when it is
    ///   not an object; ``SignalJSONError/missingField(_:)`` when `content`,
    ///   `signal_type`, `urgency` or `source_id` is absent;
    ///   ``SignalJSONError/wrongType(field:expected:found:)`` for a field of the
    ///   wrong JSON type; ``SignalJSONError/invalidValue(field:reason:)`` for a
    ///   value out of range (an urgency outside 0.0–1.0, an empty string, a
    ///   timestamp outside the supported range, a malformed `traceparent`).
    public static func decode(_ value: JSONValue) throws(SignalJSONError) -> Signal {
        guard case .object(let object) = value else { throw .notAnObject(found: value.typeName) }
        let fields = FieldReader(object: object)
        guard let contentValue = object["content"] else { throw .missingField("content") }
        // Null counts as absent, and content is required: a stored null
        // content would be printed as `"content":null` and refused on import.
        if case .null = contentValue {
            throw .invalidValue(field: "content", reason: "must not be null (null counts as absent, and content is required)")
        }
        let content: SignalContent
        if case .string(let text) = contentValue { content = .text(text) } else { content = .json(contentValue) }
        let type = try fields.requiredString("signal_type")
        let source = try fields.requiredSourceID("source_id")
        guard let urgencyValue = object["urgency"] else { throw .missingField("urgency") }
        guard case .number(let urgency) = urgencyValue else {
            throw .wrongType(field: "urgency", expected: "a number from 0.0 to 1.0", found: urgencyValue.typeName)
        }
        guard urgency >= 0, urgency <= 1 else { throw .invalidValue(field: "urgency", reason: "must be between 0.0 and 1.0, got \(urgency)") }
        let id = try fields.optionalString("id")
        if let id, id.isEmpty { throw .invalidValue(field: "id", reason: "must not be empty") }
        let requiresResponse = try fields.optionalBool("requires_response") ?? false
        let retryCount = try fields.optionalCount("retry_count") ?? 0
        let createdAt = try timestamp(object["timestamp"], field: "timestamp")
        let traceparent = try fields.optionalString("traceparent")
        if let traceparent {
            do { _ = try TraceParent(parsing: traceparent) } catch { throw .invalidValue(field: "traceparent", reason: error.reason) }
        }
        var extra: [String: JSONValue] = [:]
        for (key, value) in object where !knownFields.contains(key) { extra[key] = value }
        return Signal(
            content: content, type: type, urgency: urgency, sourceID: source, requiresResponse: requiresResponse,
            id: id, idempotencyKey: try fields.optionalString("idempotency_key"),
            partitionKey: try fields.optionalString("partition_key"),
            correlationID: try fields.optionalString("correlation_id"),
            schemaVersion: try fields.optionalString("schema_version") ?? "1.0",
            retryCount: retryCount, createdAt: createdAt, traceparent: traceparent, extraFields: extra)
    }

    /// Parses a `timestamp`: epoch milliseconds (a number) or RFC 3339 text,
    /// within ``RFC3339/signalRange``. Returns nil when absent or null.
    static func timestamp(_ value: JSONValue?, field: String) throws(SignalJSONError) -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .number(let milliseconds)?:
            let shown = JSONValue.number(milliseconds).serialized()
            guard milliseconds.isFinite, abs(milliseconds) < 9.2e15 else {
                throw .invalidValue(field: field, reason: "\(shown) epoch milliseconds is outside \(RFC3339.signalRangeDescription)")
            }
            // Whole milliseconds convert exactly: multiplying the Double by
            // 1000 would round microsecond counts past 2^53 (after 2255).
            let whole = milliseconds.rounded(.towardZero)
            let micros = Int64(whole) * 1000 + Int64(((milliseconds - whole) * 1000).rounded())
            try checkRange(micros, field: field, shown: "\(shown) epoch milliseconds")
            return micros
        case .string(let text)?:
            guard let micros = RFC3339.parse(text) else {
                throw .invalidValue(field: field, reason: "\"\(text)\" is not an RFC 3339 date-time (like 2024-05-01T12:30:00Z)")
            }
            try checkRange(micros, field: field, shown: "\"\(text)\"")
            return micros
        case let other?:
            throw .wrongType(field: field, expected: "epoch milliseconds or an RFC 3339 string", found: other.typeName)
        }
    }

    /// Refuses a time outside ``RFC3339/signalRange``, which could not be
    /// written back as RFC 3339 and read again.
    static func checkRange(_ micros: Int64, field: String, shown: String) throws(SignalJSONError) {
        guard RFC3339.signalRange.contains(micros) else {
            throw .invalidValue(field: field, reason: "\(shown) is \(RFC3339.format(microseconds: micros)), outside \(RFC3339.signalRangeDescription)")
        }
    }

    /// The signal as a JSON object value (timestamp as RFC 3339 UTC with microseconds).
    ///
    /// - Parameter signal: the signal to represent.
    public static func jsonValue(_ signal: Signal) -> JSONValue {
        var object = signal.extraFields
        object["id"] = .string(signal.id)
        object["content"] = signal.content.jsonValue
        object["signal_type"] = .string(signal.type)
        object["urgency"] = .number(signal.urgency)
        object["source_id"] = .string(signal.sourceID)
        object["requires_response"] = .bool(signal.requiresResponse)
        object["idempotency_key"] = .string(signal.idempotencyKey)
        object["partition_key"] = .string(signal.partitionKey)
        object["correlation_id"] = .string(signal.correlationID)
        object["schema_version"] = .string(signal.schemaVersion)
        object["retry_count"] = .number(Double(signal.retryCount))
        object["timestamp"] = .string(RFC3339.format(microseconds: signal.createdAt))
        if let traceparent = signal.traceparent { object["traceparent"] = .string(traceparent) }
        return .object(object)
    }

    /// The signal as one line of compact JSON (no trailing newline; keys sorted).
    ///
    /// - Parameter signal: the signal to encode.
    public static func encode(_ signal: Signal) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(signal, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``encode(_:)``'s text to `out`, written field by field (keys
    /// in sorted order) so that exporting many signals builds no dictionary
    /// per signal; a signal with unknown fields goes through
    /// ``jsonValue(_:)``, which sorts them in among the known ones.
    package static func write(_ signal: Signal, into out: inout [UInt8]) {
        guard signal.extraFields.isEmpty else {
            JSONWriter.write(jsonValue(signal), into: &out)
            return
        }
        out.append(contentsOf: #"{"content":"#.utf8)
        switch signal.content {
        case .text(let text): JSONWriter.writeString(text, into: &out)
        case .json(let value): JSONWriter.write(value, into: &out)
        }
        out.append(contentsOf: #","correlation_id":"#.utf8)
        JSONWriter.writeString(signal.correlationID, into: &out)
        out.append(contentsOf: #","id":"#.utf8)
        JSONWriter.writeString(signal.id, into: &out)
        out.append(contentsOf: #","idempotency_key":"#.utf8)
        JSONWriter.writeString(signal.idempotencyKey, into: &out)
        out.append(contentsOf: #","partition_key":"#.utf8)
        JSONWriter.writeString(signal.partitionKey, into: &out)
        out.append(contentsOf: #","requires_response":"#.utf8)
        out.append(contentsOf: (signal.requiresResponse ? "true" : "false").utf8)
        out.append(contentsOf: #","retry_count":"#.utf8)
        JSONWriter.writeNumber(Double(signal.retryCount), into: &out)
        out.append(contentsOf: #","schema_version":"#.utf8)
        JSONWriter.writeString(signal.schemaVersion, into: &out)
        out.append(contentsOf: #","signal_type":"#.utf8)
        JSONWriter.writeString(signal.type, into: &out)
        out.append(contentsOf: #","source_id":"#.utf8)
        JSONWriter.writeString(signal.sourceID, into: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        JSONWriter.writeString(RFC3339.format(microseconds: signal.createdAt), into: &out)
        if let traceparent = signal.traceparent {
            out.append(contentsOf: #","traceparent":"#.utf8)
            JSONWriter.writeString(traceparent, into: &out)
        }
        out.append(contentsOf: #","urgency":"#.utf8)
        JSONWriter.writeNumber(signal.urgency, into: &out)
        out.append(UInt8(ascii: "}"))
    }
}

/// Typed access to an object's fields with precise errors.
struct FieldReader {
    let object: [String: JSONValue]

    func requiredString(_ field: String) throws(SignalJSONError) -> String {
        guard let value = object[field] else { throw .missingField(field) }
        guard case .string(let text) = value else { throw .wrongType(field: field, expected: "a string", found: value.typeName) }
        guard !text.isEmpty else { throw .invalidValue(field: field, reason: "must not be empty") }
        return text
    }

    /// A source id: a non-empty string, or an integer kept as its decimal
    /// text (``NumericSourceID``).
    func requiredSourceID(_ field: String) throws(SignalJSONError) -> String {
        guard let value = object[field] else { throw .missingField(field) }
        switch value {
        case .string(let text):
            guard !text.isEmpty else { throw .invalidValue(field: field, reason: "must not be empty") }
            return text
        case .number(let number):
            guard let text = NumericSourceID.text(number) else { throw .invalidValue(field: field, reason: NumericSourceID.refusal(number)) }
            return text
        default:
            throw .wrongType(field: field, expected: "a string or an integer", found: value.typeName)
        }
    }

    func optionalString(_ field: String) throws(SignalJSONError) -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw .wrongType(field: field, expected: "a string", found: other.typeName)
        }
    }

    func optionalBool(_ field: String) throws(SignalJSONError) -> Bool? {
        switch object[field] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw .wrongType(field: field, expected: "a boolean", found: other.typeName)
        }
    }

    func optionalCount(_ field: String) throws(SignalJSONError) -> Int? {
        switch object[field] {
        case nil, .null?: return nil
        case .number(let number)?:
            guard number >= 0, number == number.rounded(), number < 2_147_483_648 else {
                throw .invalidValue(field: field, reason: "must be a non-negative integer, got \(number)")
            }
            return Int(number)
        case let other?: throw .wrongType(field: field, expected: "a non-negative integer", found: other.typeName)
        }
    }
}
