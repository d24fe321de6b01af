/// The escapes of JSON strings (RFC 8259, section 7), shared by the
/// reference parser (``JSONValue``) and the fast line decoder, which differ
/// only in what they do with a fault.
enum JSONEscape {
    /// The byte a one-character escape stands for (`n` for `\n`, `"` for
    /// `\"`…); nil for `u` (four hex digits follow) and for invalid escapes.
    @inline(__always)
    static func byte(for escape: UInt8) -> UInt8? {
        switch escape {
        case UInt8(ascii: "\""): return 0x22
        case UInt8(ascii: "\\"): return 0x5C
        case UInt8(ascii: "/"): return 0x2F
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }

    /// A `\u` value that must be followed by an escaped low surrogate.
    @inline(__always) static func isHighSurrogate(_ value: UInt32) -> Bool { value >= 0xD800 && value < 0xDC00 }

    /// A `\u` value valid only right after a high surrogate.
    @inline(__always) static func isLowSurrogate(_ value: UInt32) -> Bool { value >= 0xDC00 && value < 0xE000 }

    /// The scalar a surrogate pair spells.
    @inline(__always) static func combine(high: UInt32, low: UInt32) -> UInt32 { 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00) }
}
