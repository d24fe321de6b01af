import Foundation

/// A pull consumer: ``fetch(batch:expires:)`` asks the stream for the next
/// messages (`$JS.API.CONSUMER.MSG.NEXT`) and returns those that arrive.
///
/// Fetches arrive on a subscription of the consumer's own, so one consumer
/// has one fetch at a time; use several consumers for parallel reads.
public final class PullConsumer: Sendable {
    public let jetStream: JetStream
    public let stream: String
    /// The consumer's name (the server's for an ephemeral one).
    public let name: String
    /// What the server reported when the consumer was created.
    public let info: ConsumerInfo
    private let inbox: NATSSubscription

    init(jetStream: JetStream, stream: String, info: ConsumerInfo) throws(NATSError) {
        self.jetStream = jetStream
        self.stream = stream
        self.name = info.name
        self.info = info
        var random = SystemRandomNumberGenerator()
        inbox = try jetStream.client.subscribe("_INBOX.pull." + String(random.next(), radix: 36) + String(random.next(), radix: 36))
    }

    /// Up to `batch` messages, waiting at most `expires` for them: returns
    /// early once `batch` arrived or the server says none remain for this
    /// request (status 404 or 408). Returns an empty array when nothing came.
    /// A status 409 (the consumer was deleted, or leadership moved) throws.
    public func fetch(batch: Int, expires: Duration = .seconds(1)) async throws(JetStreamError) -> [JetStreamMessage] {
        struct Request: Encodable {
            var batch: Int
            var expires: Int64
        }
        let subject = jetStream.apiPrefix + ".CONSUMER.MSG.NEXT.\(stream).\(name)"
        do {
            try jetStream.client.publish(subject, payload: JetStreamAPI.encode(Request(batch: batch, expires: expires.nanoseconds)),
                                         replyTo: inbox.subject)
        } catch {
            throw .transport(error)
        }
        var messages: [JetStreamMessage] = []
        messages.reserveCapacity(batch)
        // The server ends the request itself at `expires`; the margin covers the round trip.
        while messages.count < batch, let message = await inbox.next(timeout: expires + .seconds(2)) {
            if let status = message.status, message.payload.isEmpty {
                switch status {
                case 404, 408: return messages
                case 100: continue
                default:
                    throw .api(server: jetStream.server, subject: subject, code: status, errorCode: 0,
                               description: message.headers.statusDescription)
                }
            }
            guard let delivered = JetStreamMessage(message) else {
                throw .malformedResponse(server: jetStream.server, subject: subject,
                                         reason: "a delivered message without a $JS.ACK reply subject (\(message.replyTo ?? "none"))")
            }
            messages.append(delivered)
        }
        return messages
    }

    /// Acknowledges `message` (with ``AckPolicy/all``, every one before it too).
    public func ack(_ message: JetStreamMessage) throws(JetStreamError) {
        do {
            try jetStream.client.publish(message.ackSubject, payload: Array("+ACK".utf8))
        } catch {
            throw .transport(error)
        }
    }

    /// Tells the server that `message` is still being worked on, so it
    /// waits another ack wait before redelivering it (`+WPI`).
    public func inProgress(_ message: JetStreamMessage) throws(JetStreamError) {
        do {
            try jetStream.client.publish(message.ackSubject, payload: Array("+WPI".utf8))
        } catch {
            throw .transport(error)
        }
    }

    /// Stops listening for this consumer's deliveries (the consumer stays on
    /// the server: delete it with ``JetStream/deleteConsumer(stream:name:)``).
    public func close() {
        jetStream.client.unsubscribe(inbox)
    }
}
