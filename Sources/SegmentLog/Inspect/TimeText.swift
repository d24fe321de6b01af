/// Times (microseconds since the Unix epoch) as RFC 3339 UTC text, and the
/// proleptic Gregorian calendar arithmetic behind it: the one formatter of
/// the engine (`verify` and `repair` messages), the processing layer
/// (`RFC3339`, signal timestamps) and the JetStream API's start times.
package enum TimeText {
    /// `2024-05-01T10:00:00.123456Z`: UTC, always six fraction digits.
    package static func rfc3339(_ micros: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        append(microseconds: micros, fractionDigits: 6, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `microseconds` as UTF-8 `YYYY-MM-DDTHH:MM:SS[.fraction]Z`,
    /// with a fraction of `fractionDigits` digits (0, 3 or 6; others print 6),
    /// truncated rather than rounded so that times never move forward.
    /// Years past 9999 keep every digit; years before 1 get a minus sign.
    package static func append(microseconds: Int64, fractionDigits: Int = 6, to out: inout [UInt8]) {
        let seconds = floorDiv(microseconds, 1_000_000)
        let fraction = microseconds - seconds * 1_000_000
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func put(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor * 10 <= value { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        if year < 0 { out.append(UInt8(ascii: "-")) }
        put(abs(year), 4)
        out.append(UInt8(ascii: "-")); put(month, 2); out.append(UInt8(ascii: "-")); put(day, 2)
        out.append(UInt8(ascii: "T"))
        put(secondOfDay / 3600, 2); out.append(UInt8(ascii: ":"))
        put(secondOfDay / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        put(secondOfDay % 60, 2)
        switch fractionDigits {
        case 0: break
        case 3: out.append(UInt8(ascii: ".")); put(fraction / 1000, 3)
        default: out.append(UInt8(ascii: ".")); put(fraction, 6)
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// Division rounding toward minus infinity (times before 1970 included).
    package static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    package static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    package static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    package static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian (year, month, day) of a day since 1970-01-01.
    package static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
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
