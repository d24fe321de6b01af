/// A CloudEvents 1.0 event in its JSON format
/// (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md),
/// the second form in which signals enter and leave as JSON.
///
/// Mapping to a ``Signal``: `id` = id, `source` = source id, `type` = signal
/// type, `time` = created-at, `subject` = partition key, `data` = content
/// (`datacontenttype` `text/plain` for text, `application/json` otherwise).
/// The other signal fields travel as extension attributes: `urgency`
/// (a string, since CloudEvents has no floating-point type; a number is also
/// accepted), `requiresresponse`, `idempotencykey`, `correlationid`,
/// `schemaversion`, `retrycount` and `traceparent` (the distributed-tracing
/// extension). Any other extension is kept in the signal's extra fields.
public struct CloudEvent: Sendable, Equatable {
    public var id: String
    public var source: String
    public var specVersion: String
    public var type: String
    /// Microseconds since the epoch; written as RFC 3339.
    public var time: Int64?
    public var subject: String?
    public var dataContentType: String?
    public var data: JSONValue?
    /// Extension attributes (lowercase names) and their values.
    public var extensions: [String: JSONValue]

    /// Makes an event from its attributes.
    ///
    /// - Parameters:
    ///   - id: the event's id.
    ///   - source: the event's source.
    ///   - type: the event's type.
    ///   - specVersion: the CloudEvents version; "1.0".
    ///   - time: when the event happened, microseconds since the epoch.
    ///   - subject: the event's subject.
    ///   - dataContentType: the media type of `data`.
    ///   - data: the event's payload.
    ///   - extensions: extension attributes (lowercase names) and their values.
    public init(id: String, source: String, type: String, specVersion: String = "1.0", time: Int64? = nil, subject: String? = nil,
                dataContentType: String? = nil, data: JSONValue? = nil, extensions: [String: JSONValue] = [:]) {
        self.id = id
        self.source = source
        self.type = type
        self.specVersion = specVersion
        self.time = time
        self.subject = subject
        self.dataContentType = dataContentType
        self.data = data
        self.extensions = extensions
    }

    static let contextAttributes: Set<String> = ["id", "source", "specversion", "type", "time", "subject", "datacontenttype", "data", "dataschema"]

    /// The event for `signal`.
    ///
    /// - Parameter signal: the signal the event carries.
    public init(signal: Signal) {
        var extensions = signal.extraFields
        extensions["urgency"] = .string(JSONValue.number(signal.urgency).serialized())
        extensions["requiresresponse"] = .bool(signal.requiresResponse)
        extensions["idempotencykey"] = .string(signal.idempotencyKey)
        extensions["correlationid"] = .string(signal.correlationID)
        extensions["schemaversion"] = .string(signal.schemaVersion)
        extensions["retrycount"] = .number(Double(signal.retryCount))
        if let traceparent = signal.traceparent { extensions["traceparent"] = .string(traceparent) }
        let contentType: String
        switch signal.content {
        case .text: contentType = "text/plain"
        case .json: contentType = "application/json"
        }
        self.init(id: signal.id, source: signal.sourceID, type: signal.type, time: signal.createdAt, subject: signal.partitionKey,
                  dataContentType: contentType, data: signal.content.jsonValue, extensions: extensions)
    }

    /// Parses one CloudEvents JSON object (structured mode).
    ///
    /// - Parameter line: the JSON text.
    /// - Returns: the event.
    /// - Throws: ``SignalJSONError``: ``SignalJSONError/syntax(offset:message:)`` when
    ///   the text is not JSON; ``SignalJSONError/notAnObject(found:)`` when the
    ///   value is not an object; ``SignalJSONError/missingField(_:)`` when `id`,
    ///   `source`, `specversion` or `type` is absent;
    ///   ``SignalJSONError/wrongType(field:expected:found:)`` for an attribute of
    ///   the wrong JSON type; ``SignalJSONError/invalidValue(field:reason:)`` for
    ///   a `specversion` other than "1.0", a `data_base64` attribute or another
    ///   unacceptable value.
    public static func decode(line: some StringProtocol) throws(SignalJSONError) -> CloudEvent {
        try decode(JSONValue.parse(line))
    }

    /// Reads a parsed CloudEvents JSON object. `specversion` must be "1.0";
    /// `data_base64` is refused (signals carry text or JSON).
    ///
    /// - Parameter value: the parsed JSON value.
    /// - Returns: the event.
    /// - Throws: ``SignalJSONError``: ``SignalJSONError/notAnObject(found:)`` when the
    ///   value is not an object; ``SignalJSONError/missingField(_:)`` when `id`,
    ///   `source`, `specversion` or `type` is absent;
    ///   ``SignalJSONError/wrongType(field:expected:found:)`` for an attribute of
    ///   the wrong JSON type; ``SignalJSONError/invalidValue(field:reason:)`` for
    ///   a `specversion` other than "1.0", a `data_base64` attribute or another
    ///   unacceptable value.
    public static func decode(_ value: JSONValue) throws(SignalJSONError) -> CloudEvent {
        guard case .object(let object) = value else { throw .notAnObject(found: value.typeName) }
        let fields = FieldReader(object: object)
        let specVersion = try fields.requiredString("specversion")
        guard specVersion == "1.0" else { throw .invalidValue(field: "specversion", reason: "only CloudEvents 1.0 is supported, got \"\(specVersion)\"") }
        if object["data_base64"] != nil {
            throw .invalidValue(field: "data_base64", reason: "binary data is not supported; send text or JSON in \"data\"")
        }
        var event = CloudEvent(id: try fields.requiredString("id"), source: try fields.requiredSourceID("source"), type: try fields.requiredString("type"))
        if case .number? = object["time"] {
            throw .wrongType(field: "time", expected: "an RFC 3339 string", found: "number")
        }
        event.time = try SignalJSON.timestamp(object["time"], field: "time")
        event.subject = try fields.optionalString("subject")
        event.dataContentType = try fields.optionalString("datacontenttype")
        event.data = object["data"]
        for (key, value) in object where !contextAttributes.contains(key) { event.extensions[key] = value }
        return event
    }

    /// The event as a JSON object value.
    public var jsonValue: JSONValue {
        var object = extensions
        object["id"] = .string(id)
        object["source"] = .string(source)
        object["specversion"] = .string(specVersion)
        object["type"] = .string(type)
        if let time { object["time"] = .string(RFC3339.format(microseconds: time)) }
        if let subject { object["subject"] = .string(subject) }
        if let dataContentType { object["datacontenttype"] = .string(dataContentType) }
        if let data { object["data"] = data }
        return .object(object)
    }

    /// One line of compact JSON.
    public func encode() -> String { jsonValue.serialized() }

    /// The signal this event carries. Missing `urgency` defaults to 0.5.
    ///
    /// - Returns: the signal, with unknown extension attributes in its extra fields.
    /// - Throws: ``SignalJSONError``: ``SignalJSONError/wrongType(field:expected:found:)``
    ///   for an extension of the wrong JSON type (an `urgency` that is neither a
    ///   number nor a numeric string, say); ``SignalJSONError/invalidValue(field:reason:)``
    ///   for an urgency outside 0.0–1.0 or not a number, a malformed
    ///   `traceparent`, or an extension named like a signal field.
    public func signal() throws(SignalJSONError) -> Signal {
        let fields = FieldReader(object: extensions)
        var urgency = 0.5
        switch extensions["urgency"] {
        case nil, .null?: break
        case .number(let number)?: urgency = number
        case .string(let text)?:
            guard let number = Double(text) else { throw .invalidValue(field: "urgency", reason: "\"\(text)\" is not a number") }
            urgency = number
        case let other?: throw .wrongType(field: "urgency", expected: "a number or numeric string", found: other.typeName)
        }
        guard urgency >= 0, urgency <= 1 else { throw .invalidValue(field: "urgency", reason: "must be between 0.0 and 1.0, got \(urgency)") }
        // No data, or null (which counts as absent), is empty text. A JSON
        // string is text whatever `datacontenttype` says: a signal's JSON
        // form writes both as a string, so JSON-string content could not be
        // exported with `cat -o ndjson` and imported as the same signal.
        let content: SignalContent
        switch data {
        case nil, .null?: content = .text("")
        case .string(let text)?: content = .text(text)
        case let value?: content = .json(value)
        }
        let traceparent = try fields.optionalString("traceparent")
        if let traceparent {
            do { _ = try TraceParent(parsing: traceparent) } catch { throw .invalidValue(field: "traceparent", reason: error.reason) }
        }
        let known: Set<String> = ["urgency", "requiresresponse", "idempotencykey", "correlationid", "schemaversion", "retrycount", "traceparent"]
        var extra: [String: JSONValue] = [:]
        for (key, value) in extensions where !known.contains(key) { extra[key] = value }
        // Kept as an extra field, such an extension would be overwritten by
        // the signal field of that name in the signal's JSON form. The first
        // by name is reported, so one event always gets one message.
        if let clash = extra.keys.filter({ SignalJSON.knownFields.contains($0) }).min() {
            throw .invalidValue(field: clash, reason: "an extension attribute cannot be named like a signal field (a signal's JSON form could not carry it)")
        }
        return Signal(
            content: content, type: type, urgency: urgency, sourceID: source,
            requiresResponse: try fields.optionalBool("requiresresponse") ?? false,
            id: id, idempotencyKey: try fields.optionalString("idempotencykey"), partitionKey: subject,
            correlationID: try fields.optionalString("correlationid"),
            schemaVersion: try fields.optionalString("schemaversion") ?? "1.0",
            retryCount: try fields.optionalCount("retrycount") ?? 0,
            createdAt: time, traceparent: traceparent, extraFields: extra)
    }
}

extension SignalJSON {
    /// Decodes either form: a CloudEvent when the object has `specversion`,
    /// otherwise a signal with the original attribute names.
    ///
    /// - Parameter line: the JSON text.
    /// - Returns: the signal.
    /// - Throws: ``SignalJSONError``, as ``CloudEvent/decode(line:)`` and
    ///   ``CloudEvent/signal()`` throw it for a CloudEvent, or as
    ///   ``SignalJSON/decode(_:)`` throws it for a signal.
    public static func decodeAny(line: some StringProtocol) throws(SignalJSONError) -> Signal {
        let value = try JSONValue.parse(line)
        if case .object(let object) = value, object["specversion"] != nil {
            return try CloudEvent.decode(value).signal()
        }
        return try decode(value)
    }
}
