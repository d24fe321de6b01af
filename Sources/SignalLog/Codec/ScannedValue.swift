/// One member's value as the line decoder read it: scalars straight into
/// Swift values (a string member becomes the signal's `String` with no
/// tree around it), arrays and objects as ``JSONValue``.
enum ScannedValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// An array or an object.
    case composite(JSONValue)
    /// A record object's `signal` member, decoded as a signal on the way
    /// (held by the decoder; it has no ``JSONValue`` here).
    case signalObject

    /// The value as a ``JSONValue``, for extra fields and content; nil for ``signalObject``.
    var json: JSONValue? {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number): return .number(number)
        case .string(let text): return .string(text)
        case .composite(let value): return value
        case .signalObject: return nil
        }
    }

    /// A string member; nil or JSON null when absent; anything else declines.
    /// (``FieldReader/optionalString(_:)``.)
    @inline(__always) static func optionalString(_ value: ScannedValue?) throws(JSONFastPathDeclined) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw JSONFastPathDeclined()
        }
    }

    /// A non-empty string member, present (``FieldReader/requiredString(_:)``).
    @inline(__always) static func requiredString(_ value: ScannedValue?) throws(JSONFastPathDeclined) -> String {
        guard case .string(let text)? = value, !text.isEmpty else { throw JSONFastPathDeclined() }
        return text
    }

    /// A source id: a non-empty string, or an integer kept as its decimal
    /// text (``FieldReader/requiredSourceID(_:)``).
    @inline(__always) static func requiredSourceID(_ value: ScannedValue?) throws(JSONFastPathDeclined) -> String {
        switch value {
        case .string(let text)? where !text.isEmpty: return text
        case .number(let number)?:
            guard let text = NumericSourceID.text(number) else { throw JSONFastPathDeclined() }
            return text
        default: throw JSONFastPathDeclined()
        }
    }

    /// A boolean member, or nil when absent or null (``FieldReader/optionalBool(_:)``).
    @inline(__always) static func optionalBool(_ value: ScannedValue?) throws(JSONFastPathDeclined) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw JSONFastPathDeclined()
        }
    }

    /// A count from 0 to 2^31 - 1, or nil when absent or null (``FieldReader/optionalCount(_:)``).
    @inline(__always) static func optionalCount(_ value: ScannedValue?) throws(JSONFastPathDeclined) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .number(let number)?:
            guard number >= 0, number == number.rounded(), number < 2_147_483_648 else { throw JSONFastPathDeclined() }
            return Int(number)
        default: throw JSONFastPathDeclined()
        }
    }

    /// A `timestamp` or `time` member in microseconds, or nil when absent or
    /// null, by the reference rules (``SignalJSON/timestamp(_:field:)``).
    static func time(_ value: ScannedValue?, numberAllowed: Bool) throws(JSONFastPathDeclined) -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .number(let milliseconds)?:
            // The reference's arithmetic, without the text its messages need.
            guard numberAllowed, milliseconds.isFinite, abs(milliseconds) < 9.2e15 else { throw JSONFastPathDeclined() }
            let whole = milliseconds.rounded(.towardZero)
            let micros = Int64(whole) * 1000 + Int64(((milliseconds - whole) * 1000).rounded())
            guard RFC3339.signalRange.contains(micros) else { throw JSONFastPathDeclined() }
            return micros
        case .string(let text)?:
            guard let micros = RFC3339.parse(text), RFC3339.signalRange.contains(micros) else { throw JSONFastPathDeclined() }
            return micros
        default: throw JSONFastPathDeclined()
        }
    }

    /// A valid W3C `traceparent`, or nil when absent or null.
    static func traceparent(_ value: ScannedValue?) throws(JSONFastPathDeclined) -> String? {
        guard let text = try optionalString(value) else { return nil }
        do {
            _ = try TraceParent(parsing: text)
        } catch {
            throw JSONFastPathDeclined()
        }
        return text
    }
}
