/// The stream's acknowledgement of a publish.
public struct PublishAck: Sendable, Equatable, Decodable {
    /// The stream that stored the message.
    public var stream: String
    /// The message's sequence in the stream (for a duplicate: the original's).
    public var sequence: UInt64
    /// True when the server dropped the message as a duplicate of one with
    /// the same `Nats-Msg-Id` inside the duplicate window.
    public var duplicate: Bool

    enum CodingKeys: String, CodingKey { case stream, sequence = "seq", duplicate }

    public init(stream: String, sequence: UInt64, duplicate: Bool) {
        self.stream = stream
        self.sequence = sequence
        self.duplicate = duplicate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stream = try c.decode(String.self, forKey: .stream)
        sequence = try c.decode(UInt64.self, forKey: .sequence)
        duplicate = try c.decodeIfPresent(Bool.self, forKey: .duplicate) ?? false
    }
}

/// A publish that has been sent; ``value()`` waits for the stream's ack.
public struct JetStreamPendingAck: Sendable {
    let reply: NATSPendingReply
    let server: String
    /// The subject published to.
    public var subject: String { reply.subject }

    /// The ack, or the error the stream answered with (or the transport's).
    public func value() async throws(JetStreamError) -> PublishAck {
        let message: NATSMessage
        do {
            message = try await reply.value()
        } catch {
            throw .transport(error)
        }
        return try JetStreamAPI.decode(PublishAck.self, from: message, server: server, subject: subject)
    }
}
