/// Seeded import lines for the line decoder tests: signals, CloudEvents and
/// `cat -o ndjson` record objects assembled from valid and invalid members
/// in any order, with repeated members, stray members of the other forms,
/// JSON content from ``JSONTextGenerator``, and damage.
struct LineCorpusGenerator {
    private var random: JSONTextGenerator

    init(seed: UInt64) { random = JSONTextGenerator(seed: seed) }

    /// Candidate values per member name; the first ones are valid.
    static let signalMembers: [(String, [String])] = [
        ("content", [#""text""#, #""caf\u00e9 \ud83d\ude00""#, #"{"a":[1,2]}"#, "[]", "7", "true", "null", #""""#]),
        ("signal_type", [#""order""#, #""\u0074ype""#, #""""#, "1", "null"]),
        ("urgency", ["0.5", "0", "1", "0.37", "1e-1", "-0", "1.5", "-0.1", #""0.5""#, "null"]),
        ("source_id", [#""svc-01""#, #""源""#, #""""#, "[]"]),
        ("id", [#""6f1c9a70-0d6e-4c4e-9f1a-2b8f1f0e5a11""#, #""x""#, "null", #""""#, "5"]),
        ("requires_response", ["true", "false", "null", "1", #""true""#]),
        ("idempotency_key", [#""k-1""#, "null", "{}"]),
        ("partition_key", [#""p_1""#, "null", "2"]),
        ("correlation_id", [#""c-1""#, "null", "false"]),
        ("schema_version", [#""1.1""#, #""1.0""#, "null", "1.1"]),
        ("retry_count", ["0", "3", "2147483647", "null", "2147483648", "-1", "1.5", "1e3", #""2""#]),
        ("timestamp", ["1700000000123", "1700000000123.4567", #""2024-05-01T12:30:00.123456Z""#, #""2024-05-01T14:30:00+02:00""#,
                       "null", "-62135596800000", "-62135596800001", "253402300799999", "1e20", #""2024-13-01T00:00:00Z""#, "true"]),
        ("traceparent", [#""00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01""#, "null", #""00-0""#, "1"]),
    ]
    static let eventMembers: [(String, [String])] = [
        ("specversion", [#""1.0""#, #""1.0""#, #""0.3""#, "1.0", "null"]),
        ("id", [#""e-1""#, #""""#, "1"]),
        ("source", [#""src""#, #""""#, "null"]),
        ("type", [#""alert""#, "[]"]),
        ("time", [#""2024-05-01T12:30:00Z""#, "null", "1700000000000", #""soon""#]),
        ("subject", [#""p_1""#, "null", "3"]),
        ("datacontenttype", [#""application/json""#, #""text/plain""#, "null", "0"]),
        ("data", [#""hello""#, #"{"k":[1,{"z":null}]}"#, "null", "12", "[true]"]),
        ("dataschema", [#""https://example.invalid/s""#, "5"]),
        ("urgency", [#""0.75""#, "0.25", "null", #""0x1p-1""#, #""high""#, "2", "[]"]),
        ("requiresresponse", ["true", "null", #""no""#]),
        ("idempotencykey", [#""k""#, "null", "0"]),
        ("correlationid", [#""c""#, "7"]),
        ("schemaversion", [#""1.1""#, "null"]),
        ("retrycount", ["2", "null", "-3"]),
        ("traceparent", [#""00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01""#, #""bad""#]),
        ("data_base64", [#""AA==""#]),
        ("region", [#""eu""#, "{}"]),
        ("content", [#""x""#]),
    ]
    static let strays = ["kind", "signal", "sequence", "partition", "source", "type", "data", "specversion", "extra", "é", "content", "time"]

    /// A member list: mostly the valid first value, at times another candidate, at times left out.
    private mutating func members(_ table: [(String, [String])], required: Int) -> [String] {
        var out: [String] = []
        for (index, (name, values)) in table.enumerated() {
            if index >= required && random.oneIn(2) { continue }
            let value = random.oneIn(12) ? random.pick(values) : values[0]
            out.append("\"\(name)\":\(value)")
        }
        if random.oneIn(6) {
            let json = String(decoding: random.value(depth: 3, faults: 30), as: UTF8.self)
            out.append("\"\(random.pick(Self.strays))\":\(json.isEmpty ? "1" : json)")
        }
        if random.oneIn(10), let repeated = out.randomElement(using: &random) { out.append(repeated) }
        if random.oneIn(8) {
            let json = String(decoding: random.value(depth: 4, faults: 20), as: UTF8.self)
            out.append("\"content\":\(json)")
            out.removeAll { $0.hasPrefix("\"content\":") && random.oneIn(2) }
        }
        out.shuffle(using: &random)
        return out
    }

    mutating func line() -> [UInt8] {
        let text: String
        switch random.below(10) {
        case 0, 1, 2, 3, 4:
            text = "{" + members(Self.signalMembers, required: 4).joined(separator: random.pick([",", ", ", " ,\n"])) + "}"
        case 5, 6, 7:
            text = "{" + members(Self.eventMembers, required: 4).joined(separator: ",") + "}"
        default:
            let inner = "{" + members(Self.signalMembers, required: 4).joined(separator: ",") + "}"
            var outer = ["\"sequence\":\(random.pick(["1", "null", "\"x\""]))", "\"kind\":\(random.pick(["\"signal\"", "\"signal\"", "\"attempt\""]))",
                         "\"time\":\"2024-05-01T12:30:00Z\"", "\"partition\":\"p\"", "\"signal\":\(inner)"]
            if random.oneIn(6) { outer.remove(at: random.below(outer.count)) }
            outer.shuffle(using: &random)
            text = "{" + outer.joined(separator: ",") + "}"
        }
        return random.damage(Array(text.utf8))
    }
}

extension JSONTextGenerator: RandomNumberGenerator {}
