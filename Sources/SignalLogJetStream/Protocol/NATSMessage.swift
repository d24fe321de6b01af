/// A message delivered to a subscription (`MSG` or `HMSG`).
public struct NATSMessage: Sendable, Equatable {
    /// The subject it was published to.
    public var subject: String
    /// Where the publisher wants replies (JetStream: the ack subject); nil if none.
    public var replyTo: String?
    /// Headers (empty for a plain `MSG`).
    public var headers: NATSHeaders
    public var payload: [UInt8]
    /// The subscription id the server delivered it for.
    public var sid: UInt64

    public init(subject: String, replyTo: String? = nil, headers: NATSHeaders = NATSHeaders(), payload: [UInt8], sid: UInt64 = 0) {
        self.subject = subject
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
        self.sid = sid
    }

    /// The status code of a status message (no payload, e.g. `503` when a
    /// request has no responders), or nil.
    public var status: Int? { headers.status }
}
