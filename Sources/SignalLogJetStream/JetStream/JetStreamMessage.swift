/// A message a pull consumer delivered, with what its ack subject says.
public struct JetStreamMessage: Sendable, Equatable {
    public var subject: String
    public var headers: NATSHeaders
    public var payload: [UInt8]
    /// The message's sequence in the stream.
    public var streamSequence: UInt64
    /// Its sequence among this consumer's deliveries.
    public var consumerSequence: UInt64
    /// How many times it has been delivered (1 the first time).
    public var deliveries: UInt64
    /// Messages still pending for the consumer after this one.
    public var pending: UInt64
    /// Where an ack goes (`$JS.ACK....`).
    public var ackSubject: String

    /// Reads the metadata of a delivered message from its reply subject:
    /// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`,
    /// or the longer form with a domain and account hash before the stream. Nil if it is neither.
    init?(_ message: NATSMessage) {
        guard let reply = message.replyTo, reply.hasPrefix("$JS.ACK.") else { return nil }
        // The tokens' bounds, read from the UTF-8 bytes (no string per token).
        var numbers: [UInt64?] = []
        numbers.reserveCapacity(12)
        var tokens = 0
        var value: UInt64? = 0
        for byte in reply.utf8 {
            if byte == UInt8(ascii: ".") {
                numbers.append(value)
                tokens += 1
                value = 0
            } else if let current = value, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                let (times, overflow1) = current.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                value = overflow1 || overflow2 ? nil : sum
            } else {
                value = nil
            }
        }
        numbers.append(value)
        tokens += 1
        let base: Int
        if tokens == 9 { base = 4 } else if tokens >= 12 { base = 6 } else { return nil }
        guard let delivered = numbers[base], let streamSequence = numbers[base + 1],
              let consumerSequence = numbers[base + 2], let pending = numbers[base + 4] else { return nil }
        self.subject = message.subject
        self.headers = message.headers
        self.payload = message.payload
        self.streamSequence = streamSequence
        self.consumerSequence = consumerSequence
        self.deliveries = delivered
        self.pending = pending
        self.ackSubject = reply
    }
}
