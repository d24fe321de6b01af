/// Decodes one line of an import (docs/cli.md, `ingest`) into a ``Signal``:
/// a signal in its JSON form, a CloudEvent (it has `specversion`), or a
/// record object as `cat -o ndjson` prints it (`"kind":"signal"`, a
/// `sequence`, the signal in `signal`).
///
/// Two paths give one answer. The fast path reads the line's bytes once,
/// straight into the signal's fields: each member name is matched against
/// the names the three forms know (`SignalLineField`), strings become the
/// signal's strings, numbers its numbers; only `content` that is not text,
/// extra fields and extension attributes become ``JSONValue``s, as the
/// model keeps them. It builds no dictionary for the known fields and no
/// error text. Whatever it does not take on (a line that is not JSON or
/// not a valid signal, nesting near the limits, a record object whose
/// `signal` is no signal) goes to the reference path, which parses the line
/// into a ``JSONValue`` and decodes that with ``SignalJSON`` and
/// ``CloudEvent``; so every refusal, its message, offset and field, is the
/// reference path's own. The two paths accept the same lines and give the
/// same signals (`SignalLineDecoderTests`, the differential test and the
/// fuzz target check both).
public enum SignalLineDecoder {
    /// The signal a line holds, or why it holds none.
    ///
    /// - Parameter bytes: the line's UTF-8 bytes, without its newline.
    /// - Returns: the signal.
    /// - Throws: ``SignalJSONError``, exactly as the reference path throws it:
    ///   ``SignalJSONError/syntax(offset:message:)`` for text that is not JSON,
    ///   and otherwise what ``SignalJSON/decode(_:)`` or ``SignalJSON/decodeAny(line:)``
    ///   throws for the object.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(SignalJSONError) -> Signal {
        if let signal = fast(bytes) { return signal }
        return try reference(bytes)
    }

    /// The fast path alone: the signal, or nil when it leaves the line to ``reference(_:)``.
    package static func fast(_ bytes: UnsafeRawBufferPointer) -> Signal? {
        guard var reader = JSONByteReader(bytes) else { return nil }
        do throws(JSONFastPathDeclined) {
            reader.skipWhitespace()
            let signal = try decodeObject(&reader, depth: 0, topLevel: true)
            reader.skipWhitespace()
            return reader.atEnd ? signal : nil
        } catch {
            return nil
        }
    }

    /// The reference path: the whole line parsed into a ``JSONValue``, then
    /// decoded as a record object's signal, a CloudEvent or a signal.
    package static func reference(_ bytes: UnsafeRawBufferPointer) throws(SignalJSONError) -> Signal {
        var deepest = 0
        let value = try JSONValue.parse(bytes, deepest: &deepest)
        guard case .object(let object) = value else { throw .notAnObject(found: value.typeName) }
        if case .string("signal")? = object["kind"], let inner = object["signal"], case .object = inner, object["sequence"] != nil,
           object["specversion"] == nil {
            return try SignalJSON.decode(inner)
        }
        // `cat -o ndjson` prints a signal one level down, inside a record
        // object: a signal or CloudEvent line may use all levels but that one.
        if deepest >= JSONValue.maxNesting - 1 {
            // The deepest member; of several as deep, the first by name.
            let (field, member) = object.max { ($0.value.nesting, $1.key) < ($1.value.nesting, $0.key) }!
            throw .invalidValue(field: field, reason: "nests \(member.nesting) levels deep, the line \(member.nesting + 1); a signal line may nest at most \(JSONValue.maxNesting - 1) levels, one fewer than JSON is read to, as `cat -o ndjson` prints it inside a record object")
        }
        if object["specversion"] != nil { return try CloudEvent.decode(value).signal() }
        return try SignalJSON.decode(value)
    }

    // MARK: The fast path

    /// The members of one object, sorted by ``SignalLineField`` as they are read.
    private struct Members {
        /// One slot per ``SignalLineField``, by raw value. (A plain array:
        /// scoped temporary storage went through the generic value witnesses
        /// to set up and tear down its slots, which cost more than its
        /// allocation saved.)
        var slots = [ScannedValue?](repeating: nil, count: SignalLineField.count)
        /// The fields present, to refuse a repeated name.
        var present: UInt64 = 0
        /// Members with names no form knows, in line order.
        var others: [(key: String, value: JSONValue)] = []
        /// A record object's `signal` member, decoded as a signal.
        var innerSignal: Signal? = nil

        @inline(__always) subscript(field: SignalLineField) -> ScannedValue? { slots[Int(field.rawValue)] }

        /// Every member but those in `excluded`, as extra fields; a name
        /// given twice declines (the reference parser refuses it).
        func extraFields(excluding excluded: UInt64) throws(JSONFastPathDeclined) -> [String: JSONValue] {
            var extra: [String: JSONValue] = [:]
            let wanted = present & ~excluded
            if wanted == 0 && others.isEmpty { return extra }
            extra.reserveCapacity(wanted.nonzeroBitCount + others.count)
            if wanted != 0 {
                for field in SignalLineField.allCases where wanted & field.bit != 0 {
                    guard let value = slots[Int(field.rawValue)]?.json else { throw JSONFastPathDeclined() }
                    extra[field.name] = value
                }
            }
            for (key, value) in others where extra.updateValue(value, forKey: key) != nil {
                throw JSONFastPathDeclined()
            }
            return extra
        }
    }

    /// Reads the object at the cursor and decodes it: at the top level as
    /// any of the three forms, inside a record object as a signal.
    private static func decodeObject(_ reader: inout JSONByteReader, depth: Int, topLevel: Bool) throws(JSONFastPathDeclined) -> Signal {
        var members = Members()
        try scan(&reader, into: &members, depth: depth, topLevel: topLevel)
        guard topLevel else { return try signalForm(members) }
        if members[.specVersion] != nil {
            guard members.innerSignal == nil else { throw JSONFastPathDeclined() }
            return try cloudEvent(members)
        }
        if let inner = members.innerSignal {
            // A record object: its other members are read and checked, not kept.
            guard case .string("signal")? = members[.kind], members[.sequence] != nil else { throw JSONFastPathDeclined() }
            _ = try members.extraFields(excluding: ~0)
            return inner
        }
        return try signalForm(members)
    }

    /// Reads an object's members into `members`: known names into their
    /// slots, others aside; at the top level, an object in `signal` is
    /// decoded as a record object's signal.
    private static func scan(_ reader: inout JSONByteReader, into members: inout Members, depth: Int, topLevel: Bool) throws(JSONFastPathDeclined) {
        try reader.consume(UInt8(ascii: "{"))
        reader.skipWhitespace()
        if reader.current == UInt8(ascii: "}") {
            reader.position += 1
            return
        }
        while true {
            reader.skipWhitespace()
            guard reader.current == UInt8(ascii: "\"") else { throw JSONFastPathDeclined() }
            // The name: matched in place when it is plain ASCII, else decoded first.
            let field: SignalLineField?
            var otherKey: String? = nil
            let keyStart = reader.position + 1
            if let (end, ascii) = reader.plainStringEnd(from: keyStart), ascii {
                field = reader.withBytes(keyStart..<end) { SignalLineField(bytes: $0) }
                if field == nil { otherKey = reader.withBytes(keyStart..<end) { String(decoding: $0, as: UTF8.self) } }
                reader.position = end + 1
            } else {
                var key = try reader.string()
                field = key.withUTF8 { SignalLineField(bytes: UnsafeRawBufferPointer($0)) }
                if field == nil { otherKey = key }
            }
            reader.skipWhitespace()
            try reader.consume(UInt8(ascii: ":"))
            reader.skipWhitespace()
            let value: ScannedValue
            if topLevel, field == .signal, reader.current == UInt8(ascii: "{") {
                members.innerSignal = try decodeObject(&reader, depth: depth + 1, topLevel: false)
                value = .signalObject
            } else {
                value = try scanValue(&reader, depth: depth + 1)
            }
            if let field {
                guard members.present & field.bit == 0 else { throw JSONFastPathDeclined() }
                members.present |= field.bit
                members.slots[Int(field.rawValue)] = value
            } else {
                guard let json = value.json, let otherKey else { throw JSONFastPathDeclined() }
                members.others.append((otherKey, json))
            }
            reader.skipWhitespace()
            guard let next = reader.current else { throw JSONFastPathDeclined() }
            reader.position += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw JSONFastPathDeclined() }
        }
    }

    /// One member's value: scalars as Swift values, containers as ``JSONValue``.
    @inline(__always)
    private static func scanValue(_ reader: inout JSONByteReader, depth: Int) throws(JSONFastPathDeclined) -> ScannedValue {
        guard let first = reader.current else { throw JSONFastPathDeclined() }
        switch first {
        case UInt8(ascii: "\""): return .string(try reader.string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try reader.number())
        case UInt8(ascii: "t"): try reader.literal(0x74_72_75_65, length: 4); return .bool(true)
        case UInt8(ascii: "f"): try reader.literal(0x66_61_6C_73_65, length: 5); return .bool(false)
        case UInt8(ascii: "n"): try reader.literal(0x6E_75_6C_6C, length: 4); return .null
        default: return .composite(try reader.value(depth: depth))
        }
    }

    /// A signal in its JSON form, by the rules of ``SignalJSON/decode(_:)``.
    private static func signalForm(_ members: Members) throws(JSONFastPathDeclined) -> Signal {
        let content: SignalContent
        switch members[.content] {
        case nil, .null?, .signalObject?: throw JSONFastPathDeclined()
        case .string(let text)?: content = .text(text)
        case let other?: content = .json(other.json!)
        }
        let type = try ScannedValue.requiredString(members[.signalType])
        let source = try ScannedValue.requiredSourceID(members[.sourceID])
        guard case .number(let urgency)? = members[.urgency], urgency >= 0, urgency <= 1 else { throw JSONFastPathDeclined() }
        let id = try ScannedValue.optionalString(members[.id])
        if let id, id.isEmpty { throw JSONFastPathDeclined() }
        return Signal(
            content: content, type: type, urgency: urgency, sourceID: source,
            requiresResponse: try ScannedValue.optionalBool(members[.requiresResponse]) ?? false,
            id: id, idempotencyKey: try ScannedValue.optionalString(members[.idempotencyKey]),
            partitionKey: try ScannedValue.optionalString(members[.partitionKey]),
            correlationID: try ScannedValue.optionalString(members[.correlationID]),
            schemaVersion: try ScannedValue.optionalString(members[.schemaVersion]) ?? "1.0",
            retryCount: try ScannedValue.optionalCount(members[.retryCount]) ?? 0,
            createdAt: try ScannedValue.time(members[.timestamp], numberAllowed: true),
            traceparent: try ScannedValue.traceparent(members[.traceparent]),
            extraFields: try members.extraFields(excluding: SignalLineField.signalForm))
    }

    /// A CloudEvent's signal, by the rules of ``CloudEvent/decode(_:)`` and ``CloudEvent/signal()``.
    private static func cloudEvent(_ members: Members) throws(JSONFastPathDeclined) -> Signal {
        guard try ScannedValue.requiredString(members[.specVersion]) == "1.0", members[.dataBase64] == nil else {
            throw JSONFastPathDeclined()
        }
        // An extension named like a signal field is refused.
        let extensions = members.present & ~SignalLineField.contextAttributes
        guard extensions & SignalLineField.signalForm & ~SignalLineField.signalExtensions == 0 else { throw JSONFastPathDeclined() }
        let id = try ScannedValue.requiredString(members[.id])
        let source = try ScannedValue.requiredSourceID(members[.source])
        let type = try ScannedValue.requiredString(members[.type])
        let time = try ScannedValue.time(members[.time], numberAllowed: false)
        let subject = try ScannedValue.optionalString(members[.subject])
        _ = try ScannedValue.optionalString(members[.dataContentType])
        var urgency = 0.5
        switch members[.urgency] {
        case nil, .null?: break
        case .number(let number)?: urgency = number
        case .string(let text)?:
            guard let number = Double(text) else { throw JSONFastPathDeclined() }
            urgency = number
        default: throw JSONFastPathDeclined()
        }
        guard urgency >= 0, urgency <= 1 else { throw JSONFastPathDeclined() }
        let content: SignalContent
        switch members[.data] {
        case nil, .null?: content = .text("")
        case .string(let text)?: content = .text(text)
        case .signalObject?: throw JSONFastPathDeclined()
        case let other?: content = .json(other.json!)
        }
        let traceparent = try ScannedValue.traceparent(members[.traceparent])
        return Signal(
            content: content, type: type, urgency: urgency, sourceID: source,
            requiresResponse: try ScannedValue.optionalBool(members[.requiresResponseExtension]) ?? false,
            id: id, idempotencyKey: try ScannedValue.optionalString(members[.idempotencyKeyExtension]), partitionKey: subject,
            correlationID: try ScannedValue.optionalString(members[.correlationIDExtension]),
            schemaVersion: try ScannedValue.optionalString(members[.schemaVersionExtension]) ?? "1.0",
            retryCount: try ScannedValue.optionalCount(members[.retryCountExtension]) ?? 0,
            createdAt: time, traceparent: traceparent,
            extraFields: try members.extraFields(excluding: SignalLineField.contextAttributes | SignalLineField.signalExtensions))
    }
}
