/// The JetStream API over a ``NATSClient``: streams, publishes with acks and
/// `Nats-Msg-Id` de-duplication, direct reads of stored messages, and pull
/// consumers.
public struct JetStream: Sendable {
    public let client: NATSClient
    /// The API's subject prefix (`$JS.API` unless a domain or account maps it).
    public let apiPrefix: String
    /// How long each API call waits for its reply.
    public var timeout: Duration

    public init(client: NATSClient, apiPrefix: String = "$JS.API", timeout: Duration = .seconds(5)) {
        self.client = client
        self.apiPrefix = apiPrefix
        self.timeout = timeout
    }

    var server: String { client.connectedServer?.description ?? "(not connected)" }

    /// One API call: a JSON request to `$JS.API.<path>` and its decoded reply.
    func call<T: Decodable>(_ path: String, _ body: [UInt8], as type: T.Type) async throws(JetStreamError) -> T {
        let subject = apiPrefix + "." + path
        let reply: NATSMessage
        do {
            reply = try await client.request(subject, payload: body, timeout: timeout)
        } catch {
            throw .transport(error)
        }
        return try JetStreamAPI.decode(type, from: reply, server: server, subject: subject)
    }

    // MARK: Streams

    /// Creates the stream, or returns the existing one of that name when it
    /// was created with the same settings (`STREAM.CREATE` is idempotent
    /// then); a stream of that name with other settings throws the server's error.
    @discardableResult
    public func createStream(_ config: StreamConfig) async throws(JetStreamError) -> StreamInfo {
        try await call("STREAM.CREATE.\(config.name)", JetStreamAPI.encode(config), as: StreamInfo.self)
    }

    /// The stream's settings and state; ``JetStreamError/api`` with error
    /// 10059 when there is no such stream.
    public func streamInfo(_ name: String) async throws(JetStreamError) -> StreamInfo {
        try await call("STREAM.INFO.\(name)", [], as: StreamInfo.self)
    }

    /// How many messages the stream holds on each subject matching
    /// `filter` (wildcards allowed): `STREAM.INFO` with a subjects filter.
    public func messageCounts(stream: String, filter: String) async throws(JetStreamError) -> [String: UInt64] {
        struct Request: Encodable { var subjects_filter: String }
        struct Reply: Decodable {
            struct State: Decodable { var subjects: [String: UInt64]? }
            var state: State
        }
        let reply = try await call("STREAM.INFO.\(stream)", JetStreamAPI.encode(Request(subjects_filter: filter)), as: Reply.self)
        return reply.state.subjects ?? [:]
    }

    /// Deletes the stream and everything in it.
    public func deleteStream(_ name: String) async throws(JetStreamError) {
        struct Reply: Decodable { var success: Bool }
        _ = try await call("STREAM.DELETE.\(name)", [], as: Reply.self)
    }

    // MARK: Publishing

    /// Publishes to a stream's subject and returns the pending ack at once,
    /// so that several publishes can be in flight (they are sent in call
    /// order). `messageID` goes in the `Nats-Msg-Id` header: a second
    /// publish with the same id inside the stream's duplicate window is
    /// acked with `duplicate: true` and not stored.
    public func startPublish(_ subject: String, payload: [UInt8], headers: NATSHeaders = NATSHeaders(),
                             messageID: String? = nil, timeout: Duration? = nil) throws(JetStreamError) -> JetStreamPendingAck {
        var headers = headers
        if let messageID { headers.append("Nats-Msg-Id", messageID) }
        do {
            let reply = try client.startRequest(subject, payload: payload, headers: headers, timeout: timeout ?? self.timeout)
            return JetStreamPendingAck(reply: reply, server: server)
        } catch {
            throw .transport(error)
        }
    }

    /// Publishes and waits for the stream's ack.
    public func publish(_ subject: String, payload: [UInt8], headers: NATSHeaders = NATSHeaders(),
                        messageID: String? = nil) async throws(JetStreamError) -> PublishAck {
        try await startPublish(subject, payload: payload, headers: headers, messageID: messageID).value()
    }

    // MARK: Reading stored messages

    /// The message at `sequence` of the stream.
    public func message(stream: String, sequence: UInt64) async throws(JetStreamError) -> StoredMessage {
        struct Request: Encodable { var seq: UInt64 }
        return try await getMessage(stream: stream, body: JetStreamAPI.encode(Request(seq: sequence)))
    }

    /// The newest message whose subject matches `subject` (wildcards allowed),
    /// or nil when the stream holds none.
    public func lastMessage(stream: String, subject: String) async throws(JetStreamError) -> StoredMessage? {
        struct Request: Encodable { var last_by_subj: String }
        do {
            return try await getMessage(stream: stream, body: JetStreamAPI.encode(Request(last_by_subj: subject)))
        } catch let error where error.errorCode == JetStreamErrorCode.noMessageFound {
            return nil
        }
    }

    private func getMessage(stream: String, body: [UInt8]) async throws(JetStreamError) -> StoredMessage {
        let path = "STREAM.MSG.GET.\(stream)"
        let reply = try await call(path, body, as: StoredMessageReply.self)
        guard let message = reply.decoded() else {
            throw .malformedResponse(server: server, subject: apiPrefix + "." + path, reason: "headers or data are not base64 of a message")
        }
        return message
    }

    // MARK: Consumers

    /// Creates a pull consumer on `stream` (durable when the config names
    /// one; creating a durable again with the same settings returns it).
    public func createConsumer(stream: String, _ config: ConsumerConfig) async throws(JetStreamError) -> PullConsumer {
        struct Request: Encodable {
            var stream_name: String
            var config: ConsumerConfig
        }
        let path = config.durableName.map { "CONSUMER.DURABLE.CREATE.\(stream).\($0)" } ?? "CONSUMER.CREATE.\(stream)"
        let info = try await call(path, JetStreamAPI.encode(Request(stream_name: stream, config: config)), as: ConsumerInfo.self)
        do {
            return try PullConsumer(jetStream: self, stream: stream, info: info)
        } catch {
            throw .transport(error)
        }
    }

    /// A consumer's state now (`CONSUMER.INFO`); ``JetStreamError/api``
    /// with error 10014 when there is no such consumer.
    public func consumerInfo(stream: String, name: String) async throws(JetStreamError) -> ConsumerInfo {
        try await call("CONSUMER.INFO.\(stream).\(name)", [], as: ConsumerInfo.self)
    }

    /// Deletes a consumer.
    public func deleteConsumer(stream: String, name: String) async throws(JetStreamError) {
        struct Reply: Decodable { var success: Bool }
        _ = try await call("CONSUMER.DELETE.\(stream).\(name)", [], as: Reply.self)
    }
}
