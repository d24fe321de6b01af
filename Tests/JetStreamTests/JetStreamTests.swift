import Foundation
import Testing
import SignalLogJetStream

/// The JetStream API against a real server: streams, acked and de-duplicated
/// publishes, reads by sequence and by last subject, pull consumers.
@Suite struct JetStreamTests {
    private func open() async throws -> (NATSServerProcess, NATSClient, JetStream) {
        let server = try NATSServerProcess()
        try await server.start()
        let client = try await NATSClient.connect(.forTests([server.address]))
        return (server, client, JetStream(client: client))
    }

    @Test func createPublishDedupeAndGet() async throws {
        let (server, client, js) = try await open()
        defer { server.kill() }
        let info = try await js.createStream(StreamConfig(name: "ORDERS", subjects: ["orders.>"]))
        #expect(info.config.name == "ORDERS")
        #expect(info.state.messages == 0)
        // Creating it again with the same settings is not an error.
        _ = try await js.createStream(StreamConfig(name: "ORDERS", subjects: ["orders.>"]))

        var headers = NATSHeaders()
        headers.append("Kind", "1")
        let first = try await js.publish("orders.a", payload: Array("one".utf8), headers: headers, messageID: "log:0")
        #expect(first == PublishAck(stream: "ORDERS", sequence: 1, duplicate: false))
        let again = try await js.publish("orders.a", payload: Array("one".utf8), messageID: "log:0")
        #expect(again == PublishAck(stream: "ORDERS", sequence: 1, duplicate: true))
        _ = try await js.publish("orders.b", payload: Array("two".utf8), messageID: "log:1")
        _ = try await js.publish("orders.a", payload: Array("three".utf8), messageID: "log:2")
        #expect(try await js.streamInfo("ORDERS").state.messages == 3)

        let byNumber = try await js.message(stream: "ORDERS", sequence: 1)
        #expect(byNumber.subject == "orders.a")
        #expect(byNumber.payload == Array("one".utf8))
        #expect(byNumber.headers["Kind"] == "1")
        #expect(byNumber.headers["Nats-Msg-Id"] == "log:0")
        #expect(try await js.lastMessage(stream: "ORDERS", subject: "orders.b")?.sequence == 2)
        #expect(try await js.lastMessage(stream: "ORDERS", subject: "orders.>")?.sequence == 3)
        #expect(try await js.lastMessage(stream: "ORDERS", subject: "orders.none") == nil)
        await client.close()
    }

    @Test func errorsNameServerSubjectAndText() async throws {
        let (server, client, js) = try await open()
        defer { server.kill() }
        do {
            _ = try await js.streamInfo("MISSING")
            Issue.record("found a missing stream")
        } catch {
            guard case .api(let at, let subject, let code, let errorCode, let text) = error else { Issue.record("\(error)"); return }
            #expect(at == server.address.description)
            #expect(subject == "$JS.API.STREAM.INFO.MISSING")
            #expect(code == 404)
            #expect(errorCode == JetStreamErrorCode.streamNotFound)
            #expect(text.contains("not found"))
        }
        // A publish to a subject no stream captures has no responders.
        await #expect(throws: JetStreamError.transport(.noResponders(server: server.address.description, subject: "nostream.x"))) {
            _ = try await js.publish("nostream.x", payload: [])
        }
        await client.close()
    }

    @Test func pullConsumersFetchAndAck() async throws {
        let (server, client, js) = try await open()
        defer { server.kill() }
        _ = try await js.createStream(StreamConfig(name: "S", subjects: ["s.>"]))
        for i in 0..<25 { _ = try await js.publish("s.\(i % 2 == 0 ? "even" : "odd")", payload: Array("\(i)".utf8)) }

        // Durable, explicit acks: 25 messages in batches of 10, then nothing.
        let durable = try await js.createConsumer(stream: "S", ConsumerConfig(durableName: "reader"))
        var seen: [String] = []
        while true {
            let batch = try await durable.fetch(batch: 10, expires: .milliseconds(500))
            if batch.isEmpty { break }
            for message in batch {
                seen.append(String(decoding: message.payload, as: UTF8.self))
                #expect(message.deliveries == 1)
                try durable.ack(message)
            }
        }
        #expect(seen == (0..<25).map { "\($0)" })
        try await client.flush()
        durable.close()
        // The acks were recorded: the same durable has nothing left.
        let reopened = try await js.createConsumer(stream: "S", ConsumerConfig(durableName: "reader"))
        #expect(reopened.info.numPending == 0)
        reopened.close()

        // Ephemeral, filtered, from a start sequence.
        var config = ConsumerConfig(deliverPolicy: .byStartSequence(10), ackPolicy: .all, filterSubject: "s.even")
        config.maxAckPending = 100
        let filtered = try await js.createConsumer(stream: "S", config)
        let evens = try await filtered.fetch(batch: 100, expires: .milliseconds(300))
        #expect(evens.map(\.streamSequence) == [11, 13, 15, 17, 19, 21, 23, 25])
        #expect(evens.allSatisfy { $0.subject == "s.even" })
        if let last = evens.last { try filtered.ack(last) }
        filtered.close()

        // From a start time: only what was stored after it.
        let cut = Int64(Date().timeIntervalSince1970 * 1_000_000)
        _ = try await js.publish("s.late", payload: Array("late".utf8))
        let byTime = try await js.createConsumer(stream: "S", ConsumerConfig(deliverPolicy: .byStartTime(microseconds: cut), ackPolicy: .none))
        let late = try await byTime.fetch(batch: 10, expires: .milliseconds(300))
        #expect(late.map { String(decoding: $0.payload, as: UTF8.self) } == ["late"])
        byTime.close()
        await client.close()
    }
}
