import TestSupport
import Testing
@testable import SignalLog

@Suite("Signal record size")
struct SignalRecordSizeTests {
    /// A deterministic generator over the tests' SplitMix64, so a failure repeats.
    struct Generator {
        private var random: SplitMix64
        init(state: UInt64) { random = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { random.next() }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func text(_ maxLength: Int) -> String {
            let pieces = ["a", "é", "€", "😀", "\u{0}", "\n", "\"", "\\", "漢", String(repeating: "z", count: 200)]
            return (0..<below(maxLength + 1)).map { _ in pieces[below(pieces.count)] }.joined()
        }
        mutating func json(_ depth: Int) -> JSONValue {
            switch below(depth >= 3 ? 4 : 7) {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .number(Double(bitPattern: next()).isFinite ? Double(bitPattern: next() >> 2) : 1)
            case 3: return .string(text(6))
            case 4, 5: return .array((0..<below(depth == 0 ? 150 : 6)).map { _ in json(depth + 1) })
            default:
                var object: [String: JSONValue] = [:]
                for _ in 0..<below(6) { object[text(3)] = json(depth + 1) }
                return .object(object)
            }
        }
    }

    @Test func matchesTheEncodedPayloadByteForByte() {
        var random = Generator(state: 0x5EED)
        for round in 0..<400 {
            let content: SignalContent = random.below(2) == 0 ? .text(random.text(round)) : .json(random.json(0))
            var extra: [String: JSONValue] = [:]
            for _ in 0..<random.below(3) { extra[random.text(4)] = random.json(1) }
            let signal = Signal(
                content: content, type: random.text(4) + "t", urgency: 0.5, sourceID: random.text(4) + "s",
                requiresResponse: random.below(2) == 0, id: random.text(50) + "i",
                idempotencyKey: random.below(2) == 0 ? random.text(300) : nil,
                partitionKey: random.below(2) == 0 ? random.text(300) : nil,
                schemaVersion: random.text(3), retryCount: [0, 127, 128, 16_384, Int(Int32.max)][random.below(5)],
                createdAt: Int64(bitPattern: random.next()),
                traceparent: random.below(2) == 0 ? "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" : nil,
                extraFields: extra)
            let carried: UInt64? = random.below(3) == 0 ? random.next() >> UInt64(random.below(64)) : nil
            let encoded = SignalRecord(signal: signal, carriedFrom: carried).encode()
            #expect(SignalRecord.encodedSize(of: signal, carriedFrom: carried) == encoded.count, "round \(round)")
        }
    }
}
