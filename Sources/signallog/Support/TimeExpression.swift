#if canImport(Glibc)
import Glibc
#endif
import SignalLog

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
        if let absolute = RFC3339.parse(text, form: .iso8601) { return absolute }
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
}

/// RFC 3339 rendering of microsecond timestamps, in UTC.
enum TimeFormat {
    /// `2024-05-01T10:00:00.123456Z` (`digits` fraction digits: 0, 3 or 6).
    static func rfc3339(_ micros: Int64, digits: Int = 6) -> String {
        RFC3339.format(microseconds: micros, fractionDigits: digits)
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
