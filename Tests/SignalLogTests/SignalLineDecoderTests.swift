import Testing
@testable import SignalLog

/// ``SignalLineDecoder``: the fast path takes the usual lines of all three
/// forms, and on every line of a seeded corpus (valid, invalid, odd) the
/// decoder gives what the reference path gives, refusal for refusal.
@Suite("Signal line decoder")
struct SignalLineDecoderTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// Lines of each form the fast path must take itself.
    static let usualLines: [String] = [
        #"{"id":"6f1c9a70-0d6e-4c4e-9f1a-2b8f1f0e5a11","signal_type":"order_created","source_id":"checkout-01","urgency":0.37,"partition_key":"checkout-01_order_created","idempotency_key":"checkout-01_order_created_6f1c9a70","correlation_id":"0b7e7c8e-5a1d-4d55-8a53-1f6c3e0c9d21","timestamp":1700000000123,"content":"order payment declined retry #42"}"#,
        #"{"content":{"a":[1,2.5,"x",null,true],"b":{"c":-0.0}},"signal_type":"t","urgency":1,"source_id":"s","requires_response":true,"schema_version":"1.1","retry_count":3,"timestamp":"2024-05-01T12:30:00.123456Z","traceparent":"\#(traceparent)","new_field":{"z":[1e3]}}"#,
        #"  {"content":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","signal_type":"t\u0041","urgency":0,"source_id":"s","id":null}  "#,
        #"{"content":"déjà vu ✓ 😀","signal_type":"типа","urgency":0.5,"source_id":"源"}"#,
        #"{"specversion":"1.0","id":"e-1","source":"src","type":"alert","time":"2024-05-01T12:30:00Z","subject":"p","datacontenttype":"application/json","data":{"k":[1,2]},"urgency":"0.75","requiresresponse":true,"idempotencykey":"k","correlationid":"c","schemaversion":"1.1","retrycount":2,"traceparent":"\#(traceparent)","region":"eu","dataschema":"x"}"#,
        #"{"specversion":"1.0","id":"e-2","source":"src","type":"alert","data":"plain text"}"#,
        #"{"specversion":"1.0","id":"e-3","source":"src","type":"alert","urgency":0.25,"data":null}"#,
        #"{"sequence":12,"time":"2024-05-01T12:30:00.000001Z","kind":"signal","partition":"s_t","signal":{"content":"x","correlation_id":"c","id":"i","idempotency_key":"k","partition_key":"s_t","requires_response":false,"retry_count":0,"schema_version":"1.0","signal_type":"t","source_id":"s","timestamp":"2024-05-01T12:30:00Z","urgency":0.5}}"#,
        "{\"content\":\"x\",\"signal_type\":\"t\",\"urgency\":5e-1,\"source_id\":\"s\",\"extra\":[],\"source\":{},\"kind\":\"event\"}",
    ]

    @Test(arguments: usualLines)
    func fastPathTakesUsualLines(_ line: String) throws {
        let bytes = Array(line.utf8)
        let fast = bytes.withUnsafeBytes { SignalLineDecoder.fast($0) }
        let signal = try #require(fast, "the fast path declined \(line)")
        let reference = try bytes.withUnsafeBytes { bytes throws(SignalJSONError) in try SignalLineDecoder.reference(bytes) }
        #expect(SignalLineFuzzHarness.difference(signal, reference) == nil, "\(line)")
        #expect(SignalLineFuzzHarness.run(bytes) == nil)
    }

    @Test func fastPathKeepsValuesExactly() throws {
        let line = #"{"content":{"n":[0.1,1e22,1e23,123456789012345678,-0,5e-324,1.7976931348623157e308]},"signal_type":"t","urgency":0.3,"source_id":"s","id":"\u0069d","timestamp":-62135596800000,"unknown\u00e9":"v"}"#
        let signal = try #require(Array(line.utf8).withUnsafeBytes { SignalLineDecoder.fast($0) })
        #expect(signal.id == "id")
        #expect(signal.createdAt == RFC3339.signalRange.lowerBound)
        #expect(signal.extraFields == ["unknowné": .string("v")])
        guard case .json(.object(let object)) = signal.content, case .array(let numbers)? = object["n"] else {
            Issue.record("content is \(signal.content)")
            return
        }
        let expected: [Double] = [0.1, 1e22, 1e23, 123456789012345678, -0.0, 5e-324, 1.7976931348623157e308]
        #expect(numbers.count == expected.count)
        for (value, want) in zip(numbers, expected) {
            guard case .number(let number) = value else { Issue.record("\(value) is not a number"); continue }
            #expect(number.bitPattern == want.bitPattern, "\(number) against \(want)")
        }
    }

    /// Lines the reference refuses or treats specially: the decoder must give its answer.
    static let edgeLines: [String] = [
        "", " ", "[]", "null", "\"x\"", "{", "{}", "{\"content\":\"x\"}",
        #"{"content":null,"signal_type":"t","urgency":0.5,"source_id":"s"}"#,
        #"{"content":"x","signal_type":"","urgency":0.5,"source_id":"s"}"#,
        #"{"content":"x","signal_type":"t","urgency":1.5,"source_id":"s"}"#,
        #"{"content":"x","signal_type":"t","urgency":"0.5","source_id":"s"}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","id":""}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","retry_count":-1}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","retry_count":2147483648}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","timestamp":"yesterday"}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","timestamp":1e300}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","timestamp":253402300800000}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","traceparent":"00-bad"}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","requires_response":"yes"}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","content":"y"}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","z":1,"z":2}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s","z":{"a":1,"a":1}}"#,
        #"{"content":"\ud800","signal_type":"t","urgency":0.5,"source_id":"s"}"#,
        #"{"content":"\udc00\ud800","signal_type":"t","urgency":0.5,"source_id":"s"}"#,
        #"{"content":"x","signal_type":"t","urgency":01,"source_id":"s"}"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s"} x"#,
        #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s",}"#,
        #"{"specversion":"0.3","id":"e","source":"s","type":"t"}"#,
        #"{"specversion":"1.0","id":"e","source":"s","type":"t","data_base64":"AA=="}"#,
        #"{"specversion":"1.0","id":"e","source":"s","type":"t","time":1700000000000}"#,
        #"{"specversion":"1.0","id":"e","source":"s","type":"t","content":"x"}"#,
        #"{"specversion":"1.0","id":"e","source":"s","type":"t","urgency":"high"}"#,
        #"{"specversion":"1.0","id":"e","source":"s","type":"t","signal":{"content":"x"}}"#,
        #"{"specversion":null,"id":"e","source":"s","type":"t"}"#,
        #"{"kind":"signal","sequence":1,"signal":{"content":"x"}}"#,
        #"{"kind":"signal","signal":{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s"}}"#,
        #"{"kind":"attempt","sequence":1,"signal":{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s"}}"#,
        #"{"kind":"signal","sequence":null,"signal":{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s"},"x":1,"x":2}"#,
        #"{"kind":"signal","sequence":1,"specversion":"1.0","signal":{"content":"x","signal_type":"t","urgency":0.5,"source_id":"s"}}"#,
        "{\"content\":\"a\u{1}b\",\"signal_type\":\"t\",\"urgency\":0.5,\"source_id\":\"s\"}",
    ]

    @Test(arguments: edgeLines)
    func edgeLinesDecodeAsTheReferenceDoes(_ line: String) {
        #expect(SignalLineFuzzHarness.run(Array(line.utf8)) == nil, "\(line)")
    }

    @Test func invalidUTF8AndNestingDecodeAsTheReferenceDoes() {
        let prefix = Array(#"{"signal_type":"t","urgency":0.5,"source_id":"s","content":"#.utf8)
        var lines: [[UInt8]] = []
        for bad: [UInt8] in [[0xFF], [0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            lines.append(prefix + [0x22] + bad + [0x22, 0x7D])
            lines.append(prefix + Array(#""\n"#.utf8) + bad + [0x22, 0x7D])
            lines.append(Array(#"{"#.utf8) + [0x22] + bad + Array(#"":1}"#.utf8))
        }
        for depth in [2, 100, 498, 499, 500, 509, 510, 511, 512] {
            let open = [UInt8](repeating: UInt8(ascii: "["), count: depth)
            let close = [UInt8](repeating: UInt8(ascii: "]"), count: depth)
            lines.append(prefix + open + close + [0x7D])
            lines.append(Array(#"{"kind":"signal","sequence":1,"signal":"#.utf8) + prefix + open + close + Array("}}".utf8))
        }
        for line in lines {
            #expect(SignalLineFuzzHarness.run(line) == nil, "\(String(decoding: line.prefix(120), as: UTF8.self))")
        }
    }

    /// Seeded lines built from pieces of every form, then cut and changed at random.
    @Test func seededCorpusDecodesAsTheReferenceDoes() {
        var generator = LineCorpusGenerator(seed: 0x5167_1E5D)
        var fastTaken = 0
        let count = 4000
        for _ in 0..<count {
            let line = generator.line()
            if let violation = SignalLineFuzzHarness.run(line) {
                Issue.record("\(violation) on \(String(decoding: line, as: UTF8.self))")
            }
            if line.withUnsafeBytes({ SignalLineDecoder.fast($0) }) != nil { fastTaken += 1 }
        }
        // Most generated lines are valid signals, and valid lines take the fast path.
        #expect(fastTaken > count / 4, "only \(fastTaken) of \(count) lines took the fast path")
    }
}
