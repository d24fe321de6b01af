import Foundation
import Testing
@testable import SignalLog

/// The fast JSON reader against two others on a seeded corpus
/// (``JSONTextGenerator``): the reference parser (``JSONValue/parse(_:)``),
/// which it must match exactly, and Foundation's `JSONSerialization`, an
/// independent implementation of RFC 8259, which it must match in every
/// decision and value except where this project's JSON deliberately
/// differs:
///
/// - a repeated object key is refused here (a signal with two `urgency`
///   members has no one meaning); `JSONSerialization` keeps one of them;
/// - numbers beyond `Double`'s range read as infinity here, as
///   `Double(String)` reads them (a signal refuses them where it checks
///   ranges); `JSONSerialization` refuses them;
/// - a trailing comma (`[1,]`, `{"a":1,}`) is refused here, as RFC 8259
///   says; `JSONSerialization` accepts it;
/// - nesting: both read to 512 levels, counted differently;
/// - `-0` is negative zero here, as `Double("-0")` reads it;
///   `JSONSerialization` reads the integer 0;
/// - `JSONSerialization` does not always round a number of 17 or more
///   digits to the nearest `Double` (`0.30000000000000004` comes back as
///   `0.3000000000000001`, `0.30000000000080004` four ulps off), so its
///   numbers are compared to within a relative 1e-15;
///   against the reference parser (`Double(String)`, correctly rounded)
///   every number is compared bit for bit.
@Suite("JSON reader, differential")
struct JSONDifferentialTests {
    /// Foundation's reading of `text` as a ``JSONValue``, or nil when it refuses it.
    static func foundation(_ text: [UInt8]) -> JSONValue? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed]) else { return nil }
        return convert(any)
    }

    static func convert(_ any: Any) -> JSONValue? {
        switch any {
        case is NSNull: return .null
        case let text as String: return .string(text)
        case let number as NSNumber:
            // Booleans come back as NSNumbers of Objective-C type `c` (char) or `B`.
            let type = String(cString: number.objCType)
            if type == "c" || type == "B" { return .bool(number.boolValue) }
            return .number(number.doubleValue)
        // As NSArray and NSDictionary: a cast to [Any] would copy every level below.
        case let items as NSArray:
            var values: [JSONValue] = []
            for item in items {
                guard let value = convert(item) else { return nil }
                values.append(value)
            }
            return .array(values)
        case let members as NSDictionary:
            var values: [String: JSONValue] = [:]
            for (key, item) in members {
                guard let key = key as? String, let value = convert(item) else { return nil }
                values[key] = value
            }
            return .object(values)
        default:
            return nil
        }
    }

    /// Whether `text` holds one of the deliberate differences: a repeated
    /// key, a trailing comma, nesting near the limit, a number out of `Double`'s range.
    static func deliberateDifference(_ text: [UInt8]) -> Bool {
        var deepest = 0
        let reference = text.withUnsafeBytes { bytes in Result { () throws(SignalJSONError) in try JSONValue.parse(bytes, deepest: &deepest) } }
        switch reference {
        case .failure(.syntax(_, let message)):
            if message.hasPrefix("duplicate object key") || message.hasPrefix("nesting deeper") { return true }
            let trimmed = withoutTrailingCommas(text)
            return trimmed != text && (try? JSONValue.parse(trimmed)) != nil || (trimmed != text && deliberateDifference(trimmed))
        case .success(let value):
            return deepest >= 500 || hasInfinity(value)
        default:
            return false
        }
    }

    /// `text` without commas that stand (outside strings) right before a `]` or `}`.
    static func withoutTrailingCommas(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false, escaped = false
        for (index, byte) in text.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            } else if byte == 0x22 {
                inString = true
            } else if byte == UInt8(ascii: ",") {
                let next = text[(index + 1)...].first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
                if next == UInt8(ascii: "]") || next == UInt8(ascii: "}") { continue }
            }
            out.append(byte)
        }
        return out
    }

    /// Equal values, numbers to within a relative 1e-15 and zeros of either sign equal (see the suite's notes).
    static func close(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y || abs(x - y) <= 1e-15 * max(abs(x), abs(y))
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { close($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { close(value, $0) } ?? false }
        default: return a == b
        }
    }

    static func hasInfinity(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): return !number.isFinite
        case .array(let items): return items.contains(where: hasInfinity)
        case .object(let members): return members.values.contains(where: hasInfinity)
        default: return false
        }
    }

    @Test func seededCorpusAgreesWithBothParsers() {
        let seed: UInt64 = 0x0D1F_F000
        var generator = JSONTextGenerator(seed: seed)
        var accepted = 0, refused = 0, deliberate = 0
        for index in 0..<12000 {
            let text = generator.text()
            let shown = String(decoding: text.prefix(160), as: UTF8.self)
            // The reference parser, exactly (and the line decoder's invariants).
            if let violation = text.withUnsafeBytes({ SignalLineFuzzHarness.json($0) }) {
                Issue.record("seed \(seed) text \(index): \(violation): \(shown)")
                continue
            }
            let fast = text.withUnsafeBytes { SignalLineFuzzHarness.fastJSON($0) }
            // Foundation takes time quadratic in the nesting to build its
            // arrays; the deep texts are checked against the reference only.
            if text.prefix(64).allSatisfy({ $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "k") || $0 == UInt8(ascii: ":") }) {
                if fast == nil { refused += 1 } else { accepted += 1 }
                continue
            }
            let theirs = Self.foundation(text)
            if fast == nil { refused += 1 } else { accepted += 1 }
            switch (fast, theirs) {
            case (let mine?, let theirs?):
                if !Self.close(mine, theirs) && !Self.deliberateDifference(text) {
                    Issue.record("seed \(seed) text \(index): values differ: \(mine) against Foundation's \(theirs): \(shown)")
                }
            case (nil, nil):
                break
            default:
                if Self.deliberateDifference(text) {
                    deliberate += 1
                } else {
                    Issue.record("seed \(seed) text \(index): \(fast == nil ? "refused" : "accepted") here, \(theirs == nil ? "refused" : "accepted") by Foundation: \(shown)")
                }
            }
        }
        print("[json-differential] seed \(seed): \(accepted) accepted, \(refused) refused, \(deliberate) deliberate differences")
        #expect(accepted > 1000 && refused > 500)
    }
}
