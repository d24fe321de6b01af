/// Thrown by the fast line decoders (``JSONByteReader``,
/// ``SignalLineDecoder``) when they leave a line to the reference path: the
/// text is not JSON, or not a signal, or is one of the rare shapes the fast
/// path does not take on. It carries nothing: the reference decoder, run on
/// the same bytes, decides and names the fault (its offset, field and value)
/// exactly as it always has.
package struct JSONFastPathDeclined: Error {
    package init() {}
}

/// A cursor over one JSON text's UTF-8 bytes (RFC 8259) that reads values
/// straight into Swift values, for the fast line decoders.
///
/// It accepts exactly what ``JSONValue/parse(_:)`` accepts, down to its
/// refusals of duplicate object keys, lone UTF-16 surrogates and invalid
/// UTF-8, and gives the same values (numbers as the correctly rounded
/// `Double`), except that it declines values nested ``maxDepth`` levels or
/// deeper, which it leaves to the reference parser. It never builds an
/// error message: any fault throws ``JSONFastPathDeclined``.
///
/// The bytes are borrowed: the reader lives only inside the scope that
/// lends them.
package struct JSONByteReader {
    private let base: UnsafeRawPointer
    package let count: Int
    package var position = 0

    /// Values at this depth or deeper (the outermost value is depth 0) are
    /// left to the reference parser, which reads to 512 levels and knows the
    /// importer's rule for 511.
    package static let maxDepth = 500

    /// A reader at the start of `bytes`; nil for no bytes at all.
    package init?(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        self.base = base
        count = bytes.count
    }

    @inline(__always) package func byte(_ offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The byte at the cursor, or nil at the end.
    @inline(__always) package var current: UInt8? { position < count ? byte(position) : nil }

    /// Whether the cursor has reached the end of the text.
    @inline(__always) package var atEnd: Bool { position >= count }

    @inline(__always) package mutating func skipWhitespace() {
        while position < count {
            let b = byte(position)
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            position += 1
        }
    }

    /// Calls `body` with the text's bytes in `range`.
    @inline(__always) package func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Consumes `expected` (after no whitespace) or declines.
    @inline(__always) package mutating func consume(_ expected: UInt8) throws(JSONFastPathDeclined) {
        guard position < count, byte(position) == expected else { throw JSONFastPathDeclined() }
        position += 1
    }

    // MARK: Values

    /// Any value, as a ``JSONValue``; `depth` is its nesting level.
    package mutating func value(depth: Int) throws(JSONFastPathDeclined) -> JSONValue {
        guard depth < Self.maxDepth, position < count else { throw JSONFastPathDeclined() }
        switch byte(position) {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal(0x74_72_75_65, length: 4); return .bool(true)
        case UInt8(ascii: "f"): try literal(0x66_61_6C_73_65, length: 5); return .bool(false)
        case UInt8(ascii: "n"): try literal(0x6E_75_6C_6C, length: 4); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw JSONFastPathDeclined()
        }
    }

    /// `true`, `false` or `null`, given as its bytes packed big-endian into `word`.
    @inline(__always) package mutating func literal(_ word: UInt64, length: Int) throws(JSONFastPathDeclined) {
        guard position + length <= count else { throw JSONFastPathDeclined() }
        for index in 0..<length where byte(position + index) != UInt8(truncatingIfNeeded: word >> UInt64(8 * (length - 1 - index))) {
            throw JSONFastPathDeclined()
        }
        position += length
    }

    /// An object at the cursor (`{`), members in a dictionary; a repeated key declines.
    package mutating func object(depth: Int) throws(JSONFastPathDeclined) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw JSONFastPathDeclined() }
            let key = try string()
            skipWhitespace()
            try consume(UInt8(ascii: ":"))
            skipWhitespace()
            let member = try value(depth: depth + 1)
            if members.updateValue(member, forKey: key) != nil { throw JSONFastPathDeclined() }
            skipWhitespace()
            guard let next = current else { throw JSONFastPathDeclined() }
            position += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw JSONFastPathDeclined() }
        }
    }

    /// An array at the cursor (`[`).
    package mutating func array(depth: Int) throws(JSONFastPathDeclined) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            guard let next = current else { throw JSONFastPathDeclined() }
            position += 1
            if next == UInt8(ascii: "]") { return .array(items) }
            guard next == UInt8(ascii: ",") else { throw JSONFastPathDeclined() }
        }
    }

    // MARK: Strings

    /// Where a string's bytes end when it holds no escape: the offset of its
    /// closing quote, and whether every byte is ASCII. Nil when an escape or
    /// a control character comes first, or the text ends inside it.
    @inline(__always) package func plainStringEnd(from start: Int) -> (end: Int, ascii: Bool)? {
        var scan = start
        var seen: UInt8 = 0
        // Eight bytes at a time while they hold no quote, backslash or control character.
        while scan + 8 <= count {
            let word = base.loadUnaligned(fromByteOffset: scan, as: UInt64.self)
            if Self.needsAttention(word) { break }
            if word & 0x8080_8080_8080_8080 != 0 { seen = 0x80 }
            scan += 8
        }
        while scan < count {
            let b = byte(scan)
            if b == UInt8(ascii: "\"") { return (scan, seen < 0x80) }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            seen |= b
            scan += 1
        }
        return nil
    }

    /// Whether any byte of the little-endian `word` is `"`, `\` or below 0x20.
    @inline(__always) static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        // A byte is zero in x when (x - 1) sets its high bit and x's high bit is clear.
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control) & highs != 0
    }

    /// A string at the cursor (`"`), escapes decoded.
    package mutating func string() throws(JSONFastPathDeclined) -> String {
        let start = position + 1
        if let (end, ascii) = plainStringEnd(from: start) {
            position = end + 1
            let raw = UnsafeRawBufferPointer(start: base + start, count: end - start)
            if ascii { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else { throw JSONFastPathDeclined() }
            return text
        }
        return try escapedString(from: start)
    }

    /// A string with escapes (or a fault) from `start`, just after its opening quote.
    private mutating func escapedString(from start: Int) throws(JSONFastPathDeclined) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var scan = start
        while true {
            guard scan < count else { throw JSONFastPathDeclined() }
            let b = byte(scan)
            if b == UInt8(ascii: "\"") { scan += 1; break }
            if b < 0x20 { throw JSONFastPathDeclined() }
            scan += 1
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard scan < count else { throw JSONFastPathDeclined() }
            let escape = byte(scan)
            scan += 1
            if let simple = JSONEscape.byte(for: escape) { out.append(simple); continue }
            switch escape {
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: &scan)
                if JSONEscape.isHighSurrogate(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard scan + 1 < count, byte(scan) == UInt8(ascii: "\\"), byte(scan + 1) == UInt8(ascii: "u") else {
                        throw JSONFastPathDeclined()
                    }
                    scan += 2
                    let low = try hex4(at: &scan)
                    guard JSONEscape.isLowSurrogate(low) else { throw JSONFastPathDeclined() }
                    scalar = JSONEscape.combine(high: scalar, low: low)
                } else if JSONEscape.isLowSurrogate(scalar) {
                    throw JSONFastPathDeclined()
                }
                Self.appendUTF8(scalar, to: &out)
            default:
                throw JSONFastPathDeclined()
            }
        }
        position = scan
        guard let text = String(validating: out, as: UTF8.self) else { throw JSONFastPathDeclined() }
        return text
    }

    /// Four hex digits of a `\u` escape.
    @inline(__always) private func hex4(at scan: inout Int) throws(JSONFastPathDeclined) -> UInt32 {
        guard scan + 4 <= count else { throw JSONFastPathDeclined() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = byte(scan)
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw JSONFastPathDeclined()
            }
            value = value << 4 | digit
            scan += 1
        }
        return value
    }

    /// The UTF-8 bytes of a Unicode scalar value (never a surrogate here).
    @inline(__always) static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            out.append(UInt8(scalar))
        case ..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: Numbers

    /// Exact powers of ten as `Double` (10^22 is the largest exact one).
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// A number at the cursor, as the correctly rounded `Double`.
    ///
    /// Up to 15 significant digits with a decimal exponent within ±22 is
    /// one exact integer times or divided by one exact power of ten, and
    /// IEEE 754 rounds that single operation correctly, so the result is
    /// the value `Double(String)` gives for the text. Anything else goes
    /// through `Double(String)` itself.
    package mutating func number() throws(JSONFastPathDeclined) -> Double {
        let start = position
        var scan = position
        var negative = false
        if byte(scan) == UInt8(ascii: "-") {
            negative = true
            scan += 1
        }
        guard scan < count, Self.isDigit(byte(scan)) else { throw JSONFastPathDeclined() }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        if byte(scan) == UInt8(ascii: "0") {
            scan += 1
            if scan < count, Self.isDigit(byte(scan)) { throw JSONFastPathDeclined() }
        } else {
            while scan < count, Self.isDigit(byte(scan)) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(byte(scan) &- 0x30) }
                digits += 1
                scan += 1
            }
        }
        if scan < count, byte(scan) == UInt8(ascii: ".") {
            scan += 1
            guard scan < count, Self.isDigit(byte(scan)) else { throw JSONFastPathDeclined() }
            while scan < count, Self.isDigit(byte(scan)) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(byte(scan) &- 0x30)
                    exponent -= 1
                }
                digits += 1
                scan += 1
            }
        }
        var exact = digits <= 15
        if scan < count, byte(scan) | 0x20 == UInt8(ascii: "e") {
            scan += 1
            var exponentNegative = false
            if scan < count, byte(scan) == UInt8(ascii: "+") || byte(scan) == UInt8(ascii: "-") {
                exponentNegative = byte(scan) == UInt8(ascii: "-")
                scan += 1
            }
            guard scan < count, Self.isDigit(byte(scan)) else { throw JSONFastPathDeclined() }
            var written = 0
            while scan < count, Self.isDigit(byte(scan)) {
                if written < 10_000 { written = written * 10 + Int(byte(scan) &- 0x30) } else { exact = false }
                scan += 1
            }
            exponent += exponentNegative ? -written : written
        }
        position = scan
        if exact && exponent >= -22 && exponent <= 22 {
            let whole = Double(mantissa)
            let magnitude = exponent < 0 ? whole / Self.powersOfTen[-exponent] : whole * Self.powersOfTen[exponent]
            return negative ? -magnitude : magnitude
        }
        let text = String(decoding: UnsafeRawBufferPointer(start: base + start, count: scan - start), as: UTF8.self)
        guard let value = Double(text) else { throw JSONFastPathDeclined() }
        return value
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
}
