import Testing
import Foundation
@testable import SignalLogJetStream

/// The protocol parser on byte inputs: whole and split frames, headers, errors.
@Suite struct NATSFrameParserTests {
    private func frames(_ chunks: [String]) throws -> [NATSServerFrame] {
        var parser = NATSFrameParser()
        var out: [NATSServerFrame] = []
        for chunk in chunks {
            parser.append(Array(chunk.utf8))
            while let frame = try parser.next() { out.append(frame) }
        }
        return out
    }

    @Test func parsesControlFrames() throws {
        let parsed = try frames(["PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\nping\r\n"])
        #expect(parsed == [.ping, .pong, .ok, .error("Authorization Violation"), .ping])
    }

    @Test func parsesInfo() throws {
        let parsed = try frames([#"INFO {"server_id":"NABC","version":"2.9.10","max_payload":1048576,"headers":true,"jetstream":true}"# + "\r\n"])
        #expect(parsed == [.info(NATSServerInfo(serverID: "NABC", version: "2.9.10", maxPayload: 1_048_576, headers: true, jetStream: true))])
    }

    @Test func parsesMessageWithAndWithoutReply() throws {
        let parsed = try frames(["MSG a.b 7 5\r\nhello\r\nMSG a.c 8 _INBOX.x.1 0\r\n\r\n"])
        #expect(parsed == [
            .message(NATSMessage(subject: "a.b", payload: Array("hello".utf8), sid: 7)),
            .message(NATSMessage(subject: "a.c", replyTo: "_INBOX.x.1", payload: [], sid: 8)),
        ])
    }

    @Test func payloadMayHoldCRLF() throws {
        let parsed = try frames(["MSG s 1 6\r\na\r\nb\r\n\r\n"])
        #expect(parsed == [.message(NATSMessage(subject: "s", payload: Array("a\r\nb\r\n".utf8), sid: 1))])
    }

    @Test func everySplitPointGivesTheSameFrames() throws {
        let headers = "NATS/1.0\r\nNats-Msg-Id: log:5\r\nSignalLog-Sequence: 5\r\n\r\n"
        let whole = "PING\r\nHMSG signallog.log.1.p 3 $JS.ACK.S.c.1.5.5.1700000000.0 \(headers.utf8.count) \(headers.utf8.count + 4)\r\n\(headers)body\r\nMSG x 2 3\r\nabc\r\n"
        let expected = try frames([whole])
        #expect(expected.count == 3)
        let bytes = Array(whole.utf8)
        for split in 1..<bytes.count {
            var parser = NATSFrameParser()
            var out: [NATSServerFrame] = []
            parser.append(bytes[..<split])
            while let frame = try parser.next() { out.append(frame) }
            parser.append(bytes[split...])
            while let frame = try parser.next() { out.append(frame) }
            #expect(out == expected, "split at \(split)")
        }
        guard case .message(let message) = expected[1] else { Issue.record("not a message"); return }
        #expect(message.headers["Nats-Msg-Id"] == "log:5")
        #expect(message.headers["signallog-sequence"] == "5")
        #expect(message.payload == Array("body".utf8))
        #expect(message.replyTo == "$JS.ACK.S.c.1.5.5.1700000000.0")
    }

    @Test func parsesStatusHeaders() throws {
        let block = "NATS/1.0 404 No Messages\r\n\r\n"
        let parsed = try frames(["HMSG _INBOX.p 4 \(block.utf8.count) \(block.utf8.count)\r\n\(block)\r\n"])
        guard case .message(let message) = parsed.first else { Issue.record("no message"); return }
        #expect(message.status == 404)
        #expect(message.headers.statusDescription == "No Messages")
        #expect(message.payload.isEmpty)
    }

    @Test func headersRoundTrip() throws {
        var headers = NATSHeaders()
        headers.append("Nats-Msg-Id", "a:1")
        headers.append("X", "y z")
        #expect(NATSHeaders.decode(headers.encode()[...]) == headers)
        #expect(NATSHeaders.decode(Array("HTTP/1.1\r\n\r\n".utf8)[...]) == nil)
    }

    @Test func rejectsWhatIsNotTheProtocol() {
        for bad in ["HELLO\r\n", "MSG a b 5\r\nhello\r\n", "MSG a 1 x\r\n", "MSG a 1 3\r\nabcXY", "HMSG a 1 9 4\r\n", "HMSG a 1 4 4\r\nXXXX\r\n"] {
            #expect(throws: NATSProtocolError.self, "\(bad)") { _ = try frames([bad]) }
        }
    }

    @Test func rejectsOverlongControlLine() {
        var parser = NATSFrameParser(maxControlLine: 64)
        parser.append(Array(String(repeating: "A", count: 100).utf8))
        #expect(throws: NATSProtocolError.self) { _ = try parser.next() }
    }

    @Test func incompleteFramesWait() throws {
        var parser = NATSFrameParser()
        parser.append(Array("MSG a 1 11\r\nhel".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("lo worl".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("d\r".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("\n".utf8))
        #expect(try parser.next() == .message(NATSMessage(subject: "a", payload: Array("hello world".utf8), sid: 1)))
    }

    @Test func serverAddresses() {
        #expect(NATSServerAddress("nats://127.0.0.1:4333") == NATSServerAddress(host: "127.0.0.1", port: 4333))
        #expect(NATSServerAddress("localhost") == NATSServerAddress(host: "localhost", port: 4222))
        #expect(NATSServerAddress("nats://u:p@h:1")?.auth == .user("u", password: "p"))
        #expect(NATSServerAddress("nats://tok@h:1")?.auth == .token("tok"))
        #expect(NATSServerAddress("http://h:1") == nil)
        #expect(NATSServerAddress("nats://h:99999") == nil)
    }

    @Test func startTimesAreRFC3339() {
        #expect(ConsumerConfig.rfc3339(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(ConsumerConfig.rfc3339(microseconds: 1_700_000_000_123_456) == "2023-11-14T22:13:20.123456Z")
    }
}

/// Publish acks are read without a JSON decoder when they take the
/// server's usual form; anything else goes to the full decoder.
@Suite struct PublishAckParsingTests {
    @Test(arguments: [
        (#"{"stream":"ORDERS","seq":12}"#, PublishAck(stream: "ORDERS", sequence: 12, duplicate: false)),
        (#"{"stream":"ORDERS", "seq":12, "duplicate": true}"#, PublishAck(stream: "ORDERS", sequence: 12, duplicate: true)),
        (#"{"stream":"ORDERS","seq":7,"duplicate":false,"domain":"hub"}"#, PublishAck(stream: "ORDERS", sequence: 7, duplicate: false)),
    ])
    func compactAcksAreRead(text: String, expected: PublishAck) throws {
        #expect(PublishAck.parseCompact(Array(text.utf8)) == expected)
        try #expect(JSONDecoder().decode(PublishAck.self, from: Data(text.utf8)) == expected)
    }

    @Test(arguments: [
        #"{"error":{"code":503,"description":"no leader"},"stream":"X","seq":1}"#,
        #"{"stream":"OR\"DERS","seq":1}"#,
        #"{"stream":"ORDERS"}"#,
        #"{"stream":"ORDERS","seq":99999999999999999999999}"#,
        "not json",
    ])
    func otherRepliesGoToTheDecoder(text: String) {
        #expect(PublishAck.parseCompact(Array(text.utf8)) == nil)
    }
}
