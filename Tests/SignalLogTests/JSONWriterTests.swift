import Foundation
import Testing
import TestSupport
@testable import SignalLog

/// The one JSON writer (`JSONWriter`): strings escape every control
/// character and nothing else, numbers read back as the same `Double`, and
/// a signal written field by field is the text of its JSON value.
@Suite("JSON writer")
struct JSONWriterTests {
    @Test func everyControlCharacterIsEscapedAndEverythingElseIsKept() throws {
        for byte in UInt8(0)...0x7F {
            let text = "a" + String(UnicodeScalar(byte)) + "é€😀"
            var out: [UInt8] = []
            JSONWriter.writeString(text, into: &out)
            let written = String(decoding: out, as: UTF8.self)
            // No raw control byte survives; a parser reads the same text back.
            #expect(!out.dropFirst().dropLast().contains { $0 < 0x20 }, "byte \(byte)")
            #expect(try JSONValue.parse(written) == .string(text), "byte \(byte): \(written)")
            let foundation = try JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed]) as? String
            #expect(foundation == text, "byte \(byte)")
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C { #expect(written == "\"\(text)\"") }
        }
    }

    @Test func numbersReadBackAsTheSameDouble() throws {
        var random = SplitMix64(seed: 0x4A53_4F4E)
        let edges: [Double] = [0, -0.0, 1, -1, 0.1, 1e22, 1e23, 9_007_199_254_740_991, 9_007_199_254_740_992, 5e-324, .greatestFiniteMagnitude, 0.30000000000000004]
        let randoms = (0..<2_000).map { _ in Double(bitPattern: random.next()) }.filter(\.isFinite)
        for value in edges + randoms {
            var out: [UInt8] = []
            JSONWriter.writeNumber(value, into: &out)
            let parsed = try JSONValue.parse(out)
            #expect(parsed == .number(value), "\(value) written as \(String(decoding: out, as: UTF8.self))")
        }
        for value in [Double.nan, .infinity, -.infinity] {
            var out: [UInt8] = []
            JSONWriter.writeNumber(value, into: &out)
            #expect(out == Array("null".utf8))
        }
    }

    @Test func aSignalWrittenFieldByFieldIsItsJSONValuesText() throws {
        var random = SplitMix64(seed: 0x5349_474E)
        let pieces = ["plain", "quote\"d", "back\\slash", "line\nbreak", "tab\t", "\u{01}\u{1F}", "é€", "😀", ""]
        func text() -> String { (0..<Int(random.next() % 4) + 1).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined() }
        for round in 0..<300 {
            var signal = Signal(round % 3 == 0 ? "x" + text() : text(), type: "t" + text(), urgency: Double(random.next() % 1001) / 1000, sourceID: "s" + text())
            if round % 3 == 1 { signal.content = .json(.object(["k": .string(text()), "n": .number(Double(random.next() % 100) / 7), "a": .array([.null, .bool(true)])])) }
            if round % 5 == 0 { signal.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }
            if round % 7 == 0 { signal.extraFields = ["zz_extra": .string(text()), "aa_extra": .number(1)] }
            signal.retryCount = Int(random.next() % 5)
            let encoded = SignalJSON.encode(signal)
            #expect(encoded == SignalJSON.jsonValue(signal).serialized(), "round \(round)")
            #expect(try SignalJSON.decode(line: encoded) == signal, "round \(round): \(encoded)")
        }
    }
}
