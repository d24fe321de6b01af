/// RFC 3339 timestamps to and from microseconds since the Unix epoch, with
/// no Foundation: civil-date arithmetic after Howard Hinnant's algorithms.
public enum RFC3339 {
    /// `2024-05-01T12:30:00.123456Z` (UTC; the fraction has 6 digits, or
    /// none when it is zero).
    public static func format(microseconds: Int64) -> String {
        let secondsTotal = floorDiv(microseconds, 1_000_000)
        let micros = microseconds - secondsTotal * 1_000_000
        let days = floorDiv(secondsTotal, 86_400)
        let secondOfDay = secondsTotal - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if micros != 0 { text += "." + pad(micros, 6) }
        return text + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (a space or lowercase
    /// `t`/`z` accepted as RFC 3339 allows). Fractions beyond microseconds are
    /// truncated. Returns nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var position = 0
        func number(_ digits: Int) -> Int64? {
            guard position + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let byte = bytes[position]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
                position += 1
            }
            return value
        }
        func expect(_ accepted: String) -> Bool {
            guard position < bytes.count, accepted.utf8.contains(bytes[position]) else { return false }
            position += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        var micros: Int64 = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            var digits = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[position] - 0x30) }
                digits += 1
                position += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        guard position < bytes.count else { return nil }
        if expect("Zz") {
        } else if bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
            guard let offsetHour = number(2), expect(":"), let offsetMinute = number(2), offsetHour < 24, offsetMinute < 60 else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard position == bytes.count else { return nil }
        let days = days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return seconds * 1_000_000 + micros
    }

    static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A validated W3C Trace Context `traceparent` value
/// (https://www.w3.org/TR/trace-context/#traceparent-header).
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    public var version: String
    public var traceID: String
    public var parentID: String
    public var flags: String

    public var description: String { "\(version)-\(traceID)-\(parentID)-\(flags)" }
    /// Whether the `sampled` flag is set.
    public var isSampled: Bool { (UInt8(flags, radix: 16) ?? 0) & 1 == 1 }

    /// Parses and validates a header value. Per the spec: lowercase hex only;
    /// version `ff` is invalid; version `00` is exactly 55 characters; a
    /// later version may append `-`-separated fields; trace id and parent id
    /// must not be all zeros.
    public init(parsing text: String) throws(TraceParentError) {
        let bytes = Array(text.utf8)
        func isHex(_ slice: ArraySlice<UInt8>) -> Bool {
            slice.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        guard bytes.count >= 55 else { throw .init(reason: "traceparent must be at least 55 characters, got \(bytes.count)") }
        guard bytes[2] == 0x2D, bytes[35] == 0x2D, bytes[52] == 0x2D else {
            throw .init(reason: "traceparent must be version-traceid-parentid-flags separated by '-'")
        }
        let versionBytes = bytes[0..<2], traceBytes = bytes[3..<35], parentBytes = bytes[36..<52], flagBytes = bytes[53..<55]
        guard isHex(versionBytes) else { throw .init(reason: "traceparent version must be 2 lowercase hex digits") }
        let version = String(decoding: versionBytes, as: UTF8.self)
        guard version != "ff" else { throw .init(reason: "traceparent version ff is invalid") }
        if version == "00" {
            guard bytes.count == 55 else { throw .init(reason: "traceparent version 00 must be exactly 55 characters, got \(bytes.count)") }
        } else if bytes.count > 55 {
            guard bytes[55] == 0x2D else { throw .init(reason: "traceparent fields after flags must start with '-'") }
        }
        guard isHex(traceBytes) else { throw .init(reason: "trace-id must be 32 lowercase hex digits") }
        guard traceBytes.contains(where: { $0 != 0x30 }) else { throw .init(reason: "trace-id must not be all zeros") }
        guard isHex(parentBytes) else { throw .init(reason: "parent-id must be 16 lowercase hex digits") }
        guard parentBytes.contains(where: { $0 != 0x30 }) else { throw .init(reason: "parent-id must not be all zeros") }
        guard isHex(flagBytes) else { throw .init(reason: "trace-flags must be 2 lowercase hex digits") }
        self.version = version
        self.traceID = String(decoding: traceBytes, as: UTF8.self)
        self.parentID = String(decoding: parentBytes, as: UTF8.self)
        self.flags = String(decoding: flagBytes, as: UTF8.self)
    }

    /// Whether `text` is a valid traceparent value.
    public static func isValid(_ text: String) -> Bool { (try? TraceParent(parsing: text)) != nil }
}

/// Why a traceparent value is invalid.
public struct TraceParentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
