import SegmentLog

/// RFC 3339 timestamps to and from microseconds since the Unix epoch, with
/// no Foundation; the calendar arithmetic is the engine's (`TimeText`).
/// The command-line tool parses and prints times through this type too.
public enum RFC3339 {
    /// What ``parse(_:form:)`` accepts.
    package enum Form: Sendable {
        /// RFC 3339 date-times: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
        case strict
        /// Also the ISO 8601 shortenings people type: a date alone
        /// (midnight), no seconds, a comma before the fraction, no zone
        /// (UTC), and `±HH` or `±HHMM` offsets.
        case iso8601
    }

    /// The times a signal may carry, in microseconds since the epoch:
    /// 0001-01-01T00:00:00Z through 9999-12-31T23:59:59.999999Z. RFC 3339
    /// years have four digits, so these are exactly the times that
    /// ``format(microseconds:)`` writes as RFC 3339 and ``parse(_:)`` reads
    /// back to the same value; a signal outside them could be stored but not
    /// exported and imported again (docs/signals.md). Year 0000 is left out
    /// as most date libraries refuse it.
    public static let signalRange: ClosedRange<Int64> = -62_135_596_800_000_000 ... 253_402_300_799_999_999

    /// `0001-01-01T00:00:00Z…9999-12-31T23:59:59.999999Z`, for messages.
    public static let signalRangeDescription = "0001-01-01T00:00:00Z…9999-12-31T23:59:59.999999Z"

    /// `2024-05-01T12:30:00.123456Z` (UTC; the fraction has 6 digits, or
    /// none when it is zero).
    ///
    /// - Parameter microseconds: the time, microseconds since the epoch.
    public static func format(microseconds: Int64) -> String {
        format(microseconds: microseconds, fractionDigits: microseconds % 1_000_000 == 0 ? 0 : 6)
    }

    /// `microseconds` as text with `fractionDigits` fraction digits (see
    /// ``append(microseconds:fractionDigits:to:)``).
    package static func format(microseconds: Int64, fractionDigits: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        append(microseconds: microseconds, fractionDigits: fractionDigits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `microseconds` as UTF-8 `YYYY-MM-DDTHH:MM:SS[.fraction]Z`,
    /// with a fraction of `fractionDigits` digits (0, 3 or 6; others print 6),
    /// truncated rather than rounded so that times never move forward.
    package static func append(microseconds: Int64, fractionDigits: Int = 6, to out: inout [UInt8]) {
        TimeText.append(microseconds: microseconds, fractionDigits: fractionDigits, to: &out)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (a space or lowercase
    /// `t`/`z` accepted as RFC 3339 allows). Fractions beyond microseconds are
    /// truncated; a leap second (`:60`) reads as `:59`. Returns nil for anything else.
    ///
    /// - Parameter text: the text to read.
    /// - Returns: the time in microseconds since the epoch, or nil.
    public static func parse(_ text: String) -> Int64? {
        parse(text, form: .strict)
    }

    /// Parses `text` in `form`; nil when it is not a valid time of that form.
    package static func parse(_ text: String, form: Form) -> Int64? {
        // Read in place: a copy of the bytes was an allocation per signal
        // when an import reads a million timestamps.
        var text = text
        return text.withUTF8 { parse(utf8: $0, form: form) }
    }

    /// Parses the UTF-8 `bytes` in `form`; nil when they are not a valid time of that form.
    private static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>, form: Form) -> Int64? {
        let lenient = form == .iso8601
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
              (1...12).contains(month), day >= 1, day <= TimeText.daysIn(month: month, year: year) else { return nil }
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, micros: Int64 = 0, offsetSeconds: Int64 = 0
        if !(lenient && position == bytes.count) {
            guard expect("Tt "), let h = number(2), expect(":"), let m = number(2) else { return nil }
            hour = h
            minute = m
            if expect(":") {
                guard let s = number(2) else { return nil }
                second = s
                if expect(lenient ? ".," : ".") {
                    var digits = 0
                    while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                        if digits < 6 { micros = micros * 10 + Int64(bytes[position] - 0x30) }
                        digits += 1
                        position += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<max(digits, 6) { micros *= 10 }
                }
            } else if !lenient {
                return nil
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
            if expect("Zz") {
            } else if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
                position += 1
                guard let offsetHour = number(2) else { return nil }
                var offsetMinute: Int64 = 0
                if expect(":") {
                    guard let minutes = number(2) else { return nil }
                    offsetMinute = minutes
                } else if !lenient {
                    return nil
                } else if position < bytes.count {
                    guard let minutes = number(2) else { return nil }
                    offsetMinute = minutes
                }
                guard offsetHour < 24, offsetMinute < 60 else { return nil }
                offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
            } else if !lenient {
                return nil
            }
        }
        guard position == bytes.count else { return nil }
        let days = TimeText.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return seconds * 1_000_000 + micros
    }
}
