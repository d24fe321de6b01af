#if canImport(Glibc)
import Glibc
#endif

/// Parses the time expressions `--since` and `--until` accept, into
/// microseconds since the Unix epoch:
///
/// - ISO 8601 / RFC 3339: `2024-05-01`, `2024-05-01T10:00`, `2024-05-01 10:00:30.250Z`,
///   `2024-05-01T10:00:00+02:00`. A time without a zone is UTC, like everything the tool prints.
/// - relative to now: `-1h`, `-90s`, `-1h30m`, `-2d`, `-500ms`, `+10m`, `1h ago`; units
///   `us`, `ms`, `s`, `m`, `h`, `d`, `w`.
/// - epoch milliseconds: `1714557600000`; `@1714557600` is epoch seconds.
/// - `now`, `today`, `yesterday` (midnight UTC).
enum TimeExpression {
    struct Invalid: Error, CustomStringConvertible {
        var text: String
        var description: String {
            "bad time expression '\(text)': use ISO 8601 (2024-05-01T10:00:00Z), a relative time (-1h, -30m, -2d) or epoch milliseconds (1714557600000)"
        }
    }

    static func parse(_ raw: String, now: Int64 = nowMicroseconds()) throws(Invalid) -> Int64 {
        let text = raw.trimmingSpaces()
        guard !text.isEmpty else { throw Invalid(text: raw) }
        switch text.lowercased() {
        case "now": return now
        case "today": return floorDay(now)
        case "yesterday": return floorDay(now) - 86_400_000_000
        case "tomorrow": return floorDay(now) + 86_400_000_000
        default: break
        }
        if text.hasPrefix("@"), let seconds = Int64(text.dropFirst()) {
            return seconds * 1_000_000
        }
        if text.allSatisfy({ $0.isASCII && $0.isNumber }), text.count <= 16, let milliseconds = Int64(text) {
            return milliseconds * 1000
        }
        if let offset = relative(text) { return now + offset }
        if let absolute = iso8601(text) { return absolute }
        throw Invalid(text: raw)
    }

    static func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    static func floorDay(_ micros: Int64) -> Int64 {
        let day: Int64 = 86_400_000_000
        return micros >= 0 ? micros / day * day : ((micros + 1) / day - 1) * day
    }

    /// `-1h30m`, `+5m`, `90s ago`: a signed sum of amounts with units.
    static func relative(_ text: String) -> Int64? {
        var body = Substring(text)
        var sign: Int64 = 1
        var signed = false
        if body.hasSuffix(" ago") {
            body = body.dropLast(4)
            sign = -1
            signed = true
        } else if body.first == "-" || body.first == "+" {
            sign = body.first == "-" ? -1 : 1
            body = body.dropFirst()
            signed = true
        }
        guard signed else { return nil }
        body = Substring(String(body).trimmingSpaces())
        var total: Int64 = 0
        var sawTerm = false
        var chars = Array(body)
        chars.removeAll { $0 == " " }
        var i = 0
        while i < chars.count {
            var digits = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber || chars[i] == "." {
                digits.append(chars[i]); i += 1
            }
            var unit = ""
            while i < chars.count, chars[i].isLetter { unit.append(chars[i]); i += 1 }
            guard !digits.isEmpty, let amount = Double(digits) else { return nil }
            let scale: Double
            switch unit.lowercased() {
            case "us", "µs": scale = 1
            case "ms": scale = 1_000
            case "s", "sec", "secs", "second", "seconds": scale = 1_000_000
            case "m", "min", "mins", "minute", "minutes": scale = 60_000_000
            case "h", "hr", "hrs", "hour", "hours": scale = 3_600_000_000
            case "d", "day", "days": scale = 86_400_000_000
            case "w", "week", "weeks": scale = 604_800_000_000
            default: return nil
            }
            let value = amount * scale
            guard value.isFinite, value < 9e18 else { return nil }
            total += Int64(value)
            sawTerm = true
        }
        return sawTerm ? sign * total : nil
    }

    /// `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:]MM]`.
    static func iso8601(_ text: String) -> Int64? {
        let c = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= c.count else { return nil }
            var value = 0
            for k in 0..<count {
                let d = c[i + k]
                guard d >= 48 && d <= 57 else { return nil }
                value = value * 10 + Int(d - 48)
            }
            i += count
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard i < c.count, c[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2) else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction: Int64 = 0
        var offsetSeconds = 0
        if i < c.count {
            guard c[i] == 84 || c[i] == 116 || c[i] == 32 else { return nil } // T, t, space
            i += 1
            guard let h = number(2), expect(58), let m = number(2) else { return nil }
            hour = h; minute = m
            if expect(58) {
                guard let s = number(2) else { return nil }
                second = s
                if i < c.count, c[i] == 46 || c[i] == 44 { // . or ,
                    i += 1
                    var digits = 0
                    var micros: Int64 = 0
                    while i < c.count, c[i] >= 48, c[i] <= 57 {
                        if digits < 6 { micros = micros * 10 + Int64(c[i] - 48) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<max(digits, 6) { micros *= 10 }
                    fraction = micros
                }
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
            if i < c.count {
                if c[i] == 90 || c[i] == 122 { // Z z
                    i += 1
                } else if c[i] == 43 || c[i] == 45 { // + -
                    let sign = c[i] == 45 ? -1 : 1
                    i += 1
                    guard let oh = number(2) else { return nil }
                    _ = expect(58)
                    let om = number(2) ?? 0
                    guard oh < 24, om < 60 else { return nil }
                    offsetSeconds = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
        }
        guard i == c.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * 1_000_000 + fraction
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// RFC 3339 rendering of microsecond timestamps, in UTC.
enum TimeFormat {
    /// `2024-05-01T10:00:00.123456Z` (`digits` fraction digits: 0, 3 or 6).
    static func rfc3339(_ micros: Int64, digits: Int = 6) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        append(micros, digits: digits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ micros: Int64, digits: Int = 6, to out: inout [UInt8]) {
        let second: Int64 = 1_000_000
        var seconds = micros / second
        var fraction = micros % second
        if fraction < 0 { fraction += second; seconds -= 1 }
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let (year, month, day) = TimeExpression.civilFromDays(Int(days))
        func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        put(year, 4); out.append(45); put(month, 2); out.append(45); put(day, 2)
        out.append(84)
        put(Int(rest / 3600), 2); out.append(58); put(Int(rest % 3600 / 60), 2); out.append(58); put(Int(rest % 60), 2)
        if digits == 3 {
            out.append(46); put(Int(fraction / 1000), 3)
        } else if digits == 6 {
            out.append(46); put(Int(fraction), 6)
        }
        out.append(90)
    }

    /// A short human duration: `850µs`, `12ms`, `3.4s`, `5m 02s`, `2h 10m`, `3d 4h`.
    static func duration(micros: Int64) -> String {
        let value = abs(micros)
        if value < 1000 { return "\(value)µs" }
        if value < 1_000_000 { return "\(value / 1000)ms" }
        if value < 60_000_000 {
            let tenths = value / 100_000
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = value / 1_000_000
        if seconds < 3600 { return "\(seconds / 60)m \(pad2(seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3600)h \(pad2(seconds % 3600 / 60))m" }
        return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h"
    }

    private static func pad2(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
