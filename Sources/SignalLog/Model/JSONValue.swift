/// A JSON value: a signal's content when it is not plain text, and the
/// unknown fields of a signal that are kept rather than rejected.
///
/// Numbers are kept as `Double` (JSON's own model); integers up to 2^53 are
/// written back without a fraction. Objects compare and hash by content;
/// ``JSONValue/serialized()`` writes their keys sorted, so equal values give
/// equal text.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Parses one JSON text (surrounding whitespace allowed).
    ///
    /// - Parameter text: the JSON text.
    /// - Returns: the parsed value.
    /// - Throws: ``SignalJSONError/syntax(offset:message:)``, with the byte offset
    ///   of the problem, when the text is not one JSON value (invalid syntax or
    ///   UTF-8, text after the value, or nesting deeper than 512 levels).
    public static func parse(_ text: some StringProtocol) throws(SignalJSONError) -> JSONValue {
        var copy = String(text)
        return try copy.withUTF8 { bytes in jsonResult { () throws(SignalJSONError) in try parse(UnsafeRawBufferPointer(bytes)) } }.get()
    }

    /// Parses one JSON text from UTF-8 bytes.
    ///
    /// - Parameter bytes: the JSON text as UTF-8.
    /// - Returns: the parsed value.
    /// - Throws: ``SignalJSONError/syntax(offset:message:)``, with the byte offset
    ///   of the problem, when the text is not one JSON value (invalid syntax or
    ///   UTF-8, text after the value, or nesting deeper than 512 levels).
    public static func parse(_ bytes: [UInt8]) throws(SignalJSONError) -> JSONValue {
        try bytes.withUnsafeBytes { raw in jsonResult { () throws(SignalJSONError) in try parse(raw) } }.get()
    }

    /// Parses one JSON text from UTF-8 bytes.
    ///
    /// - Parameter bytes: the JSON text as UTF-8.
    /// - Returns: the parsed value.
    /// - Throws: ``SignalJSONError/syntax(offset:message:)``, with the byte offset
    ///   of the problem, when the text is not one JSON value (invalid syntax or
    ///   UTF-8, text after the value, or nesting deeper than 512 levels).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(SignalJSONError) -> JSONValue {
        var deepest = 0
        return try parse(bytes, deepest: &deepest)
    }

    /// Values nest at most this many levels (the outermost is level 1).
    package static let maxNesting = JSONParser.maxDepth

    /// Parses one JSON text from UTF-8 bytes, and sets `deepest` to the
    /// depth of its most deeply nested value (0: the text is a scalar, 1: a
    /// value inside the outermost array or object). An importer uses it to
    /// tell whether the value still parses when wrapped in one more level.
    package static func parse(_ bytes: UnsafeRawBufferPointer, deepest: inout Int) throws(SignalJSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw .syntax(offset: parser.position, message: "unexpected text after the JSON value")
        }
        deepest = parser.deepest
        return value
    }

    /// How many levels the value nests (1 for a scalar or an empty container).
    package var nesting: Int {
        switch self {
        case .array(let items): return 1 + (items.map(\.nesting).max() ?? 0)
        case .object(let members): return 1 + (members.values.map(\.nesting).max() ?? 0)
        default: return 1
        }
    }

    /// Compact JSON text (object keys sorted).
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        JSONWriter.write(self, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Writes compact JSON into a byte array: the one writer of JSON strings
/// and numbers for the library and the `signallog` tool, so a value reads
/// the same wherever it is printed.
package enum JSONWriter {
    package static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): writeNumber(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (position, key) in members.keys.sorted().enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A number as the shortest text that reads back as the same `Double`;
    /// integral values below 2^53 without a fraction, and NaN and the
    /// infinities (which JSON cannot spell) as `null`.
    package static func writeNumber(_ number: Double, into out: inout [UInt8]) {
        if !number.isFinite {
            out.append(contentsOf: "null".utf8)
        } else if number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(number)).utf8)
        } else {
            out.append(contentsOf: "\(number)".utf8)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A string literal (RFC 8259, section 7): `"` and `\` escaped, the
    /// control characters as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`, every
    /// other byte as it is (UTF-8, `/` unescaped).
    package static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs that need no escape are copied in one go.
            var runStart = 0
            for i in 0..<bytes.count {
                let byte = bytes[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if i > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                runStart = i + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 15)])
                }
            }
            if bytes.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A recursive-descent JSON parser over UTF-8 bytes (RFC 8259), with byte
/// offsets in its errors.
struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// The depth of the most deeply nested value parsed so far.
    var deepest = 0
    static let maxDepth = 512

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always) var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    mutating func parseValue(depth: Int) throws(SignalJSONError) -> JSONValue {
        guard depth < Self.maxDepth else { throw .syntax(offset: position, message: "nesting deeper than \(Self.maxDepth) levels") }
        if depth > deepest { deepest = depth }
        guard let byte = current else { throw .syntax(offset: position, message: "unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default:
            throw .syntax(offset: position, message: "unexpected character '\(Self.show(byte))', expected a value")
        }
    }

    static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }

    mutating func literal(_ word: StaticString) throws(SignalJSONError) {
        let start = position
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard current == byte else { throw .syntax(offset: start, message: "invalid literal, expected '\(word)'") }
            position += 1
        }
    }

    mutating func parseObject(depth: Int) throws(SignalJSONError) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw .syntax(offset: position, message: "expected a string key in object") }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw .syntax(offset: position, message: "expected ':' after object key \"\(key)\"") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            if members.updateValue(value, forKey: key) != nil {
                throw .syntax(offset: keyOffset, message: "duplicate object key \"\(key)\"")
            }
            skipWhitespace()
            guard let byte = current else { throw .syntax(offset: position, message: "unexpected end of input inside an object") }
            position += 1
            if byte == UInt8(ascii: "}") { return .object(members) }
            guard byte == UInt8(ascii: ",") else { throw .syntax(offset: position - 1, message: "expected ',' or '}' in object") }
        }
    }

    mutating func parseArray(depth: Int) throws(SignalJSONError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard let byte = current else { throw .syntax(offset: position, message: "unexpected end of input inside an array") }
            position += 1
            if byte == UInt8(ascii: "]") { return .array(items) }
            guard byte == UInt8(ascii: ",") else { throw .syntax(offset: position - 1, message: "expected ',' or ']' in array") }
        }
    }

    mutating func parseNumber() throws(SignalJSONError) -> Double {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, first >= 0x30, first <= 0x39 else { throw .syntax(offset: start, message: "invalid number") }
        if first == 0x30 {
            position += 1
            if let next = current, next >= 0x30, next <= 0x39 { throw .syntax(offset: start, message: "invalid number: leading zero") }
        } else {
            while let digit = current, digit >= 0x30, digit <= 0x39 { position += 1 }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard let digit = current, digit >= 0x30, digit <= 0x39 else { throw .syntax(offset: start, message: "invalid number: no digits after '.'") }
            while let digit = current, digit >= 0x30, digit <= 0x39 { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let digit = current, digit >= 0x30, digit <= 0x39 else { throw .syntax(offset: start, message: "invalid number: no digits in exponent") }
            while let digit = current, digit >= 0x30, digit <= 0x39 { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text) else { throw .syntax(offset: start, message: "invalid number '\(text)'") }
        return value
    }

    mutating func parseString() throws(SignalJSONError) -> String {
        let start = position
        position += 1
        // Fast path: no escapes.
        var scan = position
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.validUTF8(UnsafeRawBufferPointer(rebasing: bytes[position..<scan]), at: position)
                position = scan + 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            scan += 1
        }
        var out: [UInt8] = []
        while true {
            guard let byte = current else { throw .syntax(offset: start, message: "unterminated string") }
            if byte == UInt8(ascii: "\"") { position += 1; break }
            if byte < 0x20 { throw .syntax(offset: position, message: "unescaped control character in string") }
            if byte != UInt8(ascii: "\\") { out.append(byte); position += 1; continue }
            position += 1
            guard let escape = current else { throw .syntax(offset: start, message: "unterminated string") }
            position += 1
            if let simple = JSONEscape.byte(for: escape) { out.append(simple); continue }
            switch escape {
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if JSONEscape.isHighSurrogate(scalar) {
                    guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                        throw .syntax(offset: position, message: "unpaired UTF-16 surrogate in \\u escape")
                    }
                    position += 2
                    let low = try hex4()
                    guard JSONEscape.isLowSurrogate(low) else { throw .syntax(offset: position - 6, message: "invalid low surrogate in \\u escape") }
                    scalar = JSONEscape.combine(high: scalar, low: low)
                } else if JSONEscape.isLowSurrogate(scalar) {
                    throw .syntax(offset: position - 6, message: "unpaired UTF-16 surrogate in \\u escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw .syntax(offset: position - 6, message: "invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                throw .syntax(offset: position - 2, message: "invalid escape '\\\(Self.show(escape))'")
            }
        }
        return try out.withUnsafeBytes { raw in jsonResult { () throws(SignalJSONError) in try Self.validUTF8(raw, at: start) } }.get()
    }

    mutating func hex4() throws(SignalJSONError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw .syntax(offset: position, message: "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw .syntax(offset: position, message: "invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    static func validUTF8(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SignalJSONError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .syntax(offset: offset, message: "string is not valid UTF-8")
        }
        return text
    }
}

/// Runs `body` inside a closure API that only `rethrows`, keeping the typed error.
@inline(__always)
func jsonResult<R>(_ body: () throws(SignalJSONError) -> R) -> Result<R, SignalJSONError> {
    do throws(SignalJSONError) { return .success(try body()) } catch { return .failure(error) }
}
