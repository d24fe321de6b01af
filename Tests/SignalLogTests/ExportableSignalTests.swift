import SegmentLog
import Testing
@testable import SignalLog

/// Every signal the JSON decoders and the node accept can be written as JSON
/// (a signal object or a CloudEvent) and read back as the same signal.
@Suite("Exportable signals")
struct ExportableSignalTests {
    static let base = #""signal_type":"t","urgency":0.5,"source_id":"s""#
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z (µs).
    static let lowest: Int64 = -62_135_596_800_000_000
    static let highest: Int64 = 253_402_300_799_999_999

    func decode(_ fields: String) throws(SignalJSONError) -> Signal {
        try SignalJSON.decodeAny(line: "{" + fields + "}")
    }

    @Test func contentNullIsRefusedAsAbsent() {
        #expect(throws: SignalJSONError.invalidValue(field: "content", reason: "must not be null (null counts as absent, and content is required)")) {
            try decode(#""content":null,"# + Self.base)
        }
        #expect(throws: SignalJSONError.missingField("content")) { try decode(Self.base) }
    }

    @Test func timestampsStayWithinFourDigitYears() throws {
        let lowest = Self.lowest, highest = Self.highest
        #expect(RFC3339.signalRange == lowest...highest)
        #expect(RFC3339.format(microseconds: lowest) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.format(microseconds: highest) == "9999-12-31T23:59:59.999999Z")
        #expect(RFC3339.parse(RFC3339.format(microseconds: lowest)) == lowest)
        #expect(RFC3339.parse(RFC3339.format(microseconds: highest)) == highest)

        // Epoch milliseconds: whole ones convert exactly, even past 2^53 µs.
        #expect(try decode(#""content":"x","timestamp":253402300799999,"# + Self.base).createdAt == 253_402_300_799_999_000)
        #expect(try decode(#""content":"x","timestamp":-62135596800000,"# + Self.base).createdAt == lowest)
        #expect(try decode(#""content":"x","timestamp":1714557600000.5,"# + Self.base).createdAt == 1_714_557_600_000_500)
        #expect(try decode(#""content":"x","timestamp":-1.5,"# + Self.base).createdAt == -1500)
        #expect(try decode(#""content":"x","timestamp":"9999-12-31T23:59:59.999999Z","# + Self.base).createdAt == highest)
        #expect(try decode(#""content":"x","timestamp":"0001-01-01T01:00:00+01:00","# + Self.base).createdAt == lowest)

        for outside in ["253402300800000", "-62135596800001", "9.1e15", "1e300", #""9999-12-31T23:59:59-00:01""#,
                        #""0001-01-01T00:00:00+00:01""#, #""0000-12-31T23:59:59Z""#] {
            do {
                _ = try decode(#""content":"x","timestamp":"# + outside + "," + Self.base)
                Issue.record("timestamp \(outside) was accepted")
            } catch {
                #expect(error.field == "timestamp", "\(outside): \(error)")
                #expect(error.description.contains("outside 0001-01-01T00:00:00Z…9999-12-31T23:59:59.999999Z"), "\(outside): \(error)")
            }
        }
        // The same range for a CloudEvent's `time`.
        #expect(throws: SignalJSONError.self) {
            try SignalJSON.decodeAny(line: #"{"specversion":"1.0","id":"e","source":"s","type":"t","time":"0000-06-01T00:00:00Z"}"#)
        }
    }

    @Test func cloudEventDataThatTheSignalFormCannotTellApart() throws {
        let event = #"{"specversion":"1.0","id":"e","source":"s","type":"t","datacontenttype":"application/json""#
        // A JSON string is text: the signal form writes both as a string.
        #expect(try SignalJSON.decodeAny(line: event + #","data":"hello"}"#).content == .text("hello"))
        // Null data counts as absent: empty text, as without data.
        #expect(try SignalJSON.decodeAny(line: event + #","data":null}"#).content == .text(""))
        #expect(try SignalJSON.decodeAny(line: event + "}").content == .text(""))
        #expect(try SignalJSON.decodeAny(line: event + #","data":[1,"a"]}"#).content == .json(.array([.number(1), .string("a")])))
        // An extension named like a signal field would be overwritten by it in the signal form.
        #expect(throws: SignalJSONError.invalidValue(field: "timestamp", reason: "an extension attribute cannot be named like a signal field (a signal's JSON form could not carry it)")) {
            try SignalJSON.decodeAny(line: event + #","timestamp":"x"}"#)
        }
        #expect(try SignalJSON.decodeAny(line: event + #","colour":"red"}"#).extraFields == ["colour": .string("red")])
    }

    @Test func theNodeRefusesWhatCouldNotBeExported() async throws {
        let directory = temporaryDirectory("exportable")
        defer { removeDirectory(directory) }
        var options = testOptions()
        options.processing = false
        let node = try SignalNode.open(nodeID: "n", directory: directory, options: options)
        let past = Signal(content: .text("x"), type: "t", sourceID: "s", createdAt: Self.highest + 1)
        #expect(try node.receive(past) == .rejected(.invalidSignal("timestamp 10000-01-01T00:00:00Z is outside 0001-01-01T00:00:00Z…9999-12-31T23:59:59.999999Z")))
        let before = Signal(content: .text("x"), type: "t", sourceID: "s", createdAt: Self.lowest - 1)
        guard case .rejected(.invalidSignal) = try node.receive(before) else { Issue.record("accepted a time before year 1"); return }
        #expect(try node.receive(Signal(content: .json(.null), type: "t", sourceID: "s")) == .rejected(.invalidSignal("content must not be null")))
        #expect(try node.receive(Signal(content: .text("x"), type: "t", sourceID: "s", retryCount: Int(Int32.max) + 1))
                == .rejected(.invalidSignal("retry_count must be at most 2147483647, got 2147483648")))
        for edge in [Self.lowest, Self.highest] {
            #expect(try node.receive(Signal(content: .text("x"), type: "t", sourceID: "s", createdAt: edge)).isAccepted)
        }
        _ = await node.gracefulShutdown(timeout: .zero)
    }
}
