import Foundation
import SegmentLog
import SignalLog
import TestSupport
import Testing

/// What `cat -o ndjson` and `cat -o cloudevents` print ingests back to the
/// same signals; what could not is refused on the way in.
@Suite("ingest round trip")
struct IngestRoundTripTests {
    /// A deterministic generator over the tests' SplitMix64, so a failure repeats.
    struct Generator {
        private var random: SplitMix64
        init(state: UInt64) { random = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { random.next() }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

        /// Text with escapes, controls, non-ASCII and astral characters.
        mutating func text(_ maxPieces: Int = 6) -> String {
            let pieces = ["a", "Z", " ", "é", "€", "漢字", "😀", "\u{0}", "\u{1F}", "\u{7F}", "\n", "\r\n", "\t", "\"", "\\", "/",
                          "\u{2028}", "\u{FEFF}", "e\u{301}", "\u{10FFFF}", "{\"not\":\"json\"}", "null"]
            return (0..<below(maxPieces + 1)).map { _ in pick(pieces) }.joined()
        }

        mutating func number() -> Double {
            pick([0, -0.0, 1, -1, 0.1, 1e300, -1e-300, 5e-324, Double.greatestFiniteMagnitude, 9_007_199_254_740_992,
                  9_007_199_254_740_993, -9_223_372_036_854_775_808, 123_456.789, Double(below(1_000_000)) / 7])
        }

        mutating func json(_ depth: Int = 0) -> JSONValue {
            switch below(depth >= 3 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .number(number())
            case 3: return .string(text())
            case 4: return .array((0..<below(4)).map { _ in json(depth + 1) })
            default:
                var object: [String: JSONValue] = [:]
                for _ in 0..<below(4) { object[text(3)] = json(depth + 1) }
                return .object(object)
            }
        }
    }

    /// Field names a signal or a CloudEvent gives a meaning to: an extra
    /// field so named cannot travel in both forms (docs/signals.md).
    static let reserved: Set<String> = SignalJSON.knownFields.union([
        "specversion", "source", "type", "time", "subject", "datacontenttype", "data", "dataschema", "data_base64",
        "requiresresponse", "idempotencykey", "correlationid", "schemaversion", "retrycount", "kind", "sequence", "signal",
    ])

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z (µs).
    static let lowest: Int64 = -62_135_596_800_000_000
    static let highest: Int64 = 253_402_300_799_999_999

    /// One input line per signal: a signal object or a CloudEvent, with edge values.
    static func input(count: Int, seed: UInt64) -> [String] {
        var random = Generator(state: seed)
        var lines: [String] = []
        for i in 0..<count {
            var object: [String: JSONValue] = [:]
            let content: JSONValue = random.below(2) == 0 ? .string(random.text()) : {
                // Any JSON value but null (a JSON null content is refused).
                var value = random.json()
                while value == .null { value = random.json() }
                return value
            }()
            let id = "id-\(i)-" + random.text(3)
            let type = random.pick(["alert", "t", "漢", "a\"b", "x\\y"])
            let source = random.pick(["42", "0042", "-0", "1e5", "9007199254740993", "host 1", "😀"])
            let urgency = random.pick([0, 1, 0.5, 0.1, 5e-324, 0.9999999999999999, Double(random.below(1001)) / 1000])
            let timestamp: JSONValue = random.pick([
                .number(Double(lowest / 1000)), .number(253_402_300_799_999), .number(0), .number(-1), .number(1_714_557_600_000.5),
                .string("0001-01-01T00:00:00Z"), .string("9999-12-31T23:59:59.999999Z"), .string("9999-12-31T23:59:59.9999999Z"),
                .string("2024-02-29T23:59:60+14:00"), .string("1969-12-31t23:59:59.000001z"), .string("0001-01-01T23:59:59+23:59"),
            ])
            var extra: [String: JSONValue] = [:]
            for _ in 0..<random.below(3) {
                let name = random.pick(["x", "kind_of", "é", "ünïcode key", "a.b", "n", "\u{0}", "nested", "😀"]) + random.text(1)
                if !reserved.contains(name) { extra[name] = random.json(1) }
            }
            let traceparent: JSONValue? = random.below(3) == 0 ? .string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\(random.below(2))") : nil
            if random.below(3) == 0 {
                // A CloudEvent.
                object["specversion"] = .string("1.0")
                object["id"] = .string(id)
                object["source"] = .string(source)
                object["type"] = .string(type)
                // CloudEvents times are RFC 3339 text only.
                object["time"] = timestamp.isString ? timestamp : .string("2024-05-01T12:30:00.5-02:00")
                if random.below(2) == 0 { object["subject"] = .string("subject " + random.text(2)) }
                switch random.below(4) {
                case 0: object["datacontenttype"] = .string("application/json"); object["data"] = .string(random.text())
                case 1: object["data"] = .null
                case 2: break
                default: object["datacontenttype"] = .string("application/json"); object["data"] = content
                }
                object["urgency"] = random.below(2) == 0 ? .number(urgency) : .string(JSONValue.number(urgency).serialized())
                object["retrycount"] = .number(random.pick([0, 1, 2_147_483_647]))
                object["idempotencykey"] = .string("key-\(i)-" + random.text(2))
                if let traceparent { object["traceparent"] = traceparent }
                for (name, value) in extra where name == name.lowercased() { object[name] = value }
            } else {
                object["content"] = content
                object["id"] = .string(id)
                object["signal_type"] = .string(type)
                object["source_id"] = .string(source)
                object["urgency"] = .number(urgency)
                object["timestamp"] = timestamp
                object["requires_response"] = .bool(random.below(2) == 0)
                object["retry_count"] = .number(random.pick([0, 1, 2_147_483_647]))
                object["schema_version"] = .string(random.pick(["1.0", "1.1"]))
                if random.below(2) == 0 { object["partition_key"] = .string("p-" + random.text(4)) }
                if random.below(2) == 0 { object["idempotency_key"] = .string("k-\(i)-" + random.text(4)) }
                if random.below(2) == 0 { object["correlation_id"] = .string("c-" + random.text(4)) }
                if let traceparent { object["traceparent"] = traceparent }
                for (name, value) in extra { object[name] = value }
            }
            lines.append(JSONValue.object(object).serialized())
        }
        return lines
    }

    /// The signals of a log, in order, as the processing layer decodes them.
    static func signals(in directory: String) throws -> [Signal] {
        let log = try SegmentLog.openReadOnly(directory: directory)
        defer { try? log.close() }
        let reader = log.read()
        var out: [Signal] = []
        while let record = try reader.next() {
            guard record.kind == SignalRecordKind.signal.rawValue else { continue }
            out.append(try SignalRecord.decode(record.payload).signal)
        }
        return out
    }

    @Test func catOutputIngestsBackToTheSameSignals() throws {
        let temp = TemporaryDirectory()
        // Generated lines, and content nested as deep as a signal line may.
        let deep = String(repeating: "[", count: 510) + String(repeating: "]", count: 510)
        let lines = Self.input(count: 300, seed: 0x51_6E_A1) + [#"{"content":\#(deep),"signal_type":"t","urgency":0.5,"source_id":"s","id":"deep"}"#]
        let count = lines.count
        let first = temp.child("first")
        let ingested = try signallog(["ingest", first, "-", "--json"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(ingested.status == 0, "\(ingested)")
        let summary = try #require(try ingested.json() as? [String: Any])
        #expect(summary["accepted"] as? Int == count, "\(summary["problems"] ?? [])")
        let original = try Self.signals(in: first)
        #expect(original.count == count)
        #expect(original.contains { $0.createdAt == Self.lowest } && original.contains { $0.createdAt == Self.highest })
        #expect(original.contains { $0.createdAt == 253_402_300_799_999_000 }, "whole epoch milliseconds convert exactly")

        for format in ["ndjson", "cloudevents"] {
            let exported = try signallog(["cat", first, "--kind", "signal", "-o", format])
            #expect(exported.status == 0)
            let second = temp.child("second-\(format)")
            let again = try signallog(["ingest", second, "-", "--json"], stdin: exported.stdout)
            let againSummary = try #require(try again.json() as? [String: Any])
            #expect(againSummary["accepted"] as? Int == count, "\(format): \(againSummary["problems"] ?? [])")
            let copied = try Self.signals(in: second)
            #expect(copied.count == original.count)
            for (position, (before, after)) in zip(original, copied).enumerated() where before != after {
                Issue.record("\(format): signal \(position) (input line \(position + 1)) changed:\n\(lines[position])\n\(SignalJSON.encode(before))\n\(SignalJSON.encode(after))")
            }
        }
    }

    @Test func valuesThatCouldNotBeExportedAreMalformed() throws {
        let temp = TemporaryDirectory()
        let base = #""signal_type":"t","urgency":0.5,"source_id":"s""#
        let lines = [
            #"{"content":null,"# + base + "}",                                                              // 1
            #"{"content":"x","timestamp":253402300800000,"# + base + "}",                                 // 2
            #"{"content":"x","timestamp":-62135596800001,"# + base + "}",                                 // 3
            #"{"content":"x","timestamp":"9999-12-31T23:59:59-01:00","# + base + "}",                     // 4
            #"{"content":"x","timestamp":"0000-12-31T23:59:59Z","# + base + "}",                          // 5
            #"{"specversion":"1.0","id":"e1","source":"s","type":"t","content":"shadowed"}"#,               // 6
            #"{"content":"x","id":"last","timestamp":"9999-12-31T23:59:59.999999Z","# + base + "}",      // 7
            #"{"specversion":"1.0","id":"e2","source":"s","type":"t","data":null}"#,                        // 8
            // Printed inside a record object, this would nest deeper than JSON is read.
            #"{"content":\#(String(repeating: "[", count: 511) + String(repeating: "]", count: 511)),"# + base + "}", // 9
        ]
        let log = temp.child()
        let result = try signallog(["ingest", log, "-", "--json"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result)")
        let summary = try #require(try result.json() as? [String: Any])
        #expect(summary["malformed"] as? Int == 7)
        #expect(summary["accepted"] as? Int == 2)
        let problems = try #require(summary["problems"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [1, 2, 3, 4, 5, 6, 9])
        let messages = problems.compactMap { $0["message"] as? String }
        #expect(messages.first == #"field "content": must not be null (null counts as absent, and content is required)"#)
        #expect(messages.dropFirst().first == #"field "timestamp": 253402300800000 epoch milliseconds is 10000-01-01T00:00:00Z, outside 0001-01-01T00:00:00Z…9999-12-31T23:59:59.999999Z"#)
        #expect(messages.dropFirst(2).prefix(3).allSatisfy { $0.hasPrefix(#"field "timestamp": "#) && $0.hasSuffix("outside 0001-01-01T00:00:00Z…9999-12-31T23:59:59.999999Z") }, "\(messages)")
        #expect(messages.dropFirst(5).first?.hasPrefix(#"field "content": an extension attribute cannot be named like a signal field"#) == true, "\(messages)")
        #expect(messages.last?.hasPrefix(#"field "content": nests 511 levels deep, the line 512; a signal line may nest at most 511 levels"#) == true, "\(messages)")

        let stored = try signallog(["cat", log, "--kind", "signal", "-o", "ndjson"]).ndjson().compactMap { $0["signal"] as? [String: Any] }
        #expect(stored.count == 2)
        #expect(stored.first?["timestamp"] as? String == "9999-12-31T23:59:59.999999Z")
        #expect(stored.last?["content"] as? String == "", "CloudEvent data null counts as absent")
    }
}

private extension JSONValue {
    var isString: Bool { if case .string = self { return true } else { return false } }
}
