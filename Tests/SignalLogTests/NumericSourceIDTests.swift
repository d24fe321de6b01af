import Testing
@testable import SignalLog

/// The original system's nodes are numbered and send their source id as a
/// JSON number: both decoders (the line decoder's fast path and the
/// reference path) accept an integer and keep it as its decimal text, in
/// the signal form and in CloudEvents; anything else numeric is refused
/// with the field named.
@Suite("Numeric source ids")
struct NumericSourceIDTests {
    static let accepted: [(line: String, source: String)] = [
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":42}"#, "42"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":0}"#, "0"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":-7}"#, "-7"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":42.0}"#, "42"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":4.2e1}"#, "42"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":9007199254740992}"#, "9007199254740992"),
        (#"{"specversion":"1.0","id":"e-1","source":17,"type":"alert","data":"x"}"#, "17"),
    ]

    @Test(arguments: accepted)
    func integersAreKeptAsDecimalText(_ example: (line: String, source: String)) throws {
        let bytes = Array(example.line.utf8)
        let fast = try #require(bytes.withUnsafeBytes { SignalLineDecoder.fast($0) }, "the fast path declined \(example.line)")
        let reference = try bytes.withUnsafeBytes { bytes throws(SignalJSONError) in try SignalLineDecoder.reference(bytes) }
        #expect(fast.sourceID == example.source)
        #expect(reference.sourceID == example.source)
        #expect(try SignalJSON.decodeAny(line: example.line).sourceID == example.source)
        #expect(SignalLineFuzzHarness.run(bytes) == nil)
        // The default keys follow the text, and the signal exports as a string that reads back the same.
        #expect(reference.partitionKey == example.source + "_" + reference.type)
        let again = try SignalJSON.decode(line: SignalJSON.encode(reference))
        #expect(again.sourceID == example.source)
    }

    static let refused: [(line: String, field: String)] = [
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":4.5}"#, "source_id"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":9007199254740994}"#, "source_id"),
        (#"{"content":"x","signal_type":"t","urgency":0.5,"source_id":1e300}"#, "source_id"),
        (#"{"specversion":"1.0","id":"e-1","source":0.5,"type":"alert"}"#, "source"),
    ]

    @Test(arguments: refused)
    func otherNumbersAreRefusedNamingTheField(_ example: (line: String, field: String)) {
        let bytes = Array(example.line.utf8)
        #expect(bytes.withUnsafeBytes { SignalLineDecoder.fast($0) } == nil)
        #expect(SignalLineFuzzHarness.run(bytes) == nil)
        do {
            _ = try SignalJSON.decodeAny(line: example.line)
            Issue.record("accepted \(example.line)")
        } catch {
            guard case .invalidValue(let field, let reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(field == example.field)
            #expect(reason.contains("integer"))
        }
    }

    @Test func aBooleanSourceIsStillAWrongType() {
        #expect(throws: SignalJSONError.wrongType(field: "source_id", expected: "a string or an integer", found: "boolean")) {
            try SignalJSON.decode(line: #"{"content":"x","signal_type":"t","urgency":0.5,"source_id":true}"#)
        }
    }

    @Test func theSwiftAPITakesNumberedSourcesAndNodes() async throws {
        let signal = Signal("disk full", type: "alert", urgency: 0.9, sourceID: 42)
        #expect(signal.sourceID == "42")
        #expect(signal.partitionKey == "42_alert")
        let directory = temporaryDirectory("numbered")
        defer { removeDirectory(directory) }
        let node = try SignalNode.open(nodeID: 7, directory: directory, options: testOptions(), handlers: ["alert": { _ in }])
        #expect(node.nodeID == "7")
        _ = try node.receive(signal)
        #expect(try await node.outcome(of: signal.id) == .processed(attempts: 1))
        #expect(await node.gracefulShutdown(timeout: .seconds(5)))
    }
}
