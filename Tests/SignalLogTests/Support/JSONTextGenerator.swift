import TestSupport
/// Seeded JSON texts for the decoder tests: values of every kind spelled
/// in the ways RFC 8259 allows (whitespace, every escape, surrogate pairs,
/// raw UTF-8, numbers at the edges of `Double`), deep nesting and repeated
/// keys, and the faults a parser must refuse (lone surrogates, invalid
/// UTF-8, bad numbers, cut texts, stray bytes). SplitMix64, so a failure
/// reproduces from the seed in the test.
struct JSONTextGenerator {
    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { random.next() }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True one time in `n`.
    mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    static let numbers = [
        "0", "-0", "1", "-1", "0.5", "0.1", "0.30000000000000004", "123456789", "9007199254740993",
        "12345678901234567890", "1e22", "1e23", "1E-22", "1e-23", "2.5e+3", "-7.25E-2", "1.7976931348623157e308",
        "1.7976931348623159e308", "1e309", "-1e400", "5e-324", "2e-324", "1e-400", "4.9406564584124654e-324",
        "2.2250738585072014e-308", "0.000001", "123.456e7", "100000000000000000000000", "3.141592653589793238462643383279",
        "1e0000000000000000001", "0e10", "-0.0e-0", "999999999999999", "9999999999999999", "0.1e1",
    ]
    static let badNumbers = ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e5", "--1", "NaN", "Infinity", "-.1", "00"]

    static let escapes = [
        #"\""#, #"\\"#, #"\/"#, #"\b"#, #"\f"#, #"\n"#, #"\r"#, #"\t"#, #"\u0000"#, #"\u001f"#, #"\u0041"#,
        #"\u00e9"#, #"\u00E9"#, #"\u20ac"#, #"\uffff"#, #"\ud83d\ude00"#, #"\uD834\uDD1E"#, #"\udbff\udfff"#,
    ]
    static let badEscapes = [#"\ud800"#, #"\udc00"#, #"\ud800\u0041"#, #"\ud800x"#, #"\x41"#, #"\u12"#, #"\u12g4"#, #"\'"#, #"\U0041"#]
    static let raws = ["a", "Z", " ", "é", "€", "😀", "日本", "\u{7f}", "~", "e\u{301}"]
    static let badBytes: [[UInt8]] = [[0xFF], [0xFE], [0xC3], [0xC0, 0x80], [0xC1, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
                                      [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80], [0x01], [0x1F]]
    static let whitespace = ["", "", "", " ", "\n", "\t", "\r\n", "  "]

    /// Text of a string, escapes and raw characters mixed; sometimes with a fault.
    mutating func string(faulty: Bool) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for _ in 0..<below(6) {
            switch below(3) {
            case 0: out += Array(pick(Self.escapes).utf8)
            default: out += Array(pick(Self.raws).utf8)
            }
        }
        if faulty {
            let insert: [UInt8] = oneIn(2) ? Array(pick(Self.badEscapes).utf8) : pick(Self.badBytes)
            out += insert
        }
        out.append(0x22)
        return out
    }

    /// A key: usually one of a few names, so that objects repeat keys now and then.
    mutating func key() -> [UInt8] {
        if oneIn(3) { return string(faulty: false) }
        return Array("\"\(pick(["a", "b", "c", "content", "id", "k\\u0061", "ka"]))\"".utf8)
    }

    /// A value nesting at most `depth` more levels; `faults` is the chance (1 in n) of a fault at each value.
    mutating func value(depth: Int, faults: Int) -> [UInt8] {
        let faulty = oneIn(faults)
        let kind = depth > 0 ? below(9) : below(5)
        var out = Array(pick(Self.whitespace).utf8)
        switch kind {
        case 0: out += Array(pick(["true", "false", "null"]).utf8)
        case 1, 2: out += Array((faulty ? pick(Self.badNumbers) : pick(Self.numbers)).utf8)
        case 3, 4: out += string(faulty: faulty)
        case 5, 6:
            out.append(UInt8(ascii: "["))
            let count = below(4)
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += value(depth: depth - 1, faults: faults)
            }
            if faulty { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "]"))
        default:
            out.append(UInt8(ascii: "{"))
            let count = below(4)
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += Array(pick(Self.whitespace).utf8) + key() + Array(pick(Self.whitespace).utf8) + [UInt8(ascii: ":")]
                out += value(depth: depth - 1, faults: faults)
            }
            if faulty { out += Array(pick([",", ":1", "1"]).utf8) }
            out.append(UInt8(ascii: "}"))
        }
        out += Array(pick(Self.whitespace).utf8)
        return out
    }

    /// Arrays or objects nested `depth` levels around a scalar.
    static func nested(_ depth: Int, objects: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<depth { out += Array((objects ? #"{"k":"# : "[").utf8) }
        out += Array("1".utf8)
        for _ in 0..<depth { out.append(objects ? UInt8(ascii: "}") : UInt8(ascii: "]")) }
        return out
    }

    /// Cuts, flips or inserts a byte, one time in three.
    mutating func damage(_ text: [UInt8]) -> [UInt8] {
        guard !text.isEmpty, oneIn(3) else { return text }
        var out = text
        let at = below(out.count)
        switch below(3) {
        case 0: out.removeSubrange(at...)
        case 1: out[at] ^= UInt8(truncatingIfNeeded: 1 << below(8))
        default: out.insert(pick([0x22, 0x5C, 0x2C, 0x7B, 0x5D, 0x00, 0xFF, 0x20]), at: at)
        }
        return out
    }

    /// One text: mostly valid values, some with faults, some deep, some damaged.
    mutating func text() -> [UInt8] {
        switch below(20) {
        case 0: return Self.nested(pick([64, 255, 499, 500, 510, 511, 512, 513, 600]), objects: oneIn(2))
        case 1, 2, 3: return damage(value(depth: 3, faults: 3))
        default: return value(depth: 4, faults: 40)
        }
    }
}
