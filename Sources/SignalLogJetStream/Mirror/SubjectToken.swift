/// Makes any text one subject-safe token, and back (docs/jetstream.md,
/// "Subjects").
///
/// Bytes `A–Z a–z 0–9 _ -` stay as they are; every other UTF-8 byte
/// (`.`, `*`, `>`, spaces, `~`, non-ASCII...) becomes `~` and two upper-case
/// hex digits. The empty text is the token `~` alone, which no escaped text
/// can be. Escaped tokens longer than ``maxLength`` characters are cut to a
/// stand-in, `~~` and the 16 hex digits of the text's 64-bit FNV-1a hash, so
/// a subject stays within the server's control-line limit; the headers of a
/// record message always carry the full escaped text.
public enum SubjectToken {
    /// Longest token kept whole.
    public static let maxLength = 200

    /// The escaped text, whatever its length (for headers).
    public static func escape(_ text: String) -> String {
        if text.isEmpty { return "~" }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF")
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.append("~")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// The token for a subject: the escaped text, or its hashed stand-in when too long.
    public static func token(_ text: String) -> String {
        let escaped = escape(text)
        guard escaped.utf8.count > maxLength else { return escaped }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let digits = String(hash, radix: 16, uppercase: true)
        return "~~" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The text an escaped token stands for; nil for malformed escapes or
    /// bytes that are not UTF-8 (and for hashed stand-ins, which cannot be reversed).
    public static func unescape(_ token: String) -> String? {
        if token == "~" { return "" }
        var bytes: [UInt8] = []
        var iterator = Array(token.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte != UInt8(ascii: "~") {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
