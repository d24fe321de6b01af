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
        if message.status == nil, let ack = PublishAck.parseCompact(message.payload) { return ack }
        return try JetStreamAPI.decode(PublishAck.self, from: message, server: server, subject: subject)
    }
}

extension PublishAck {
    /// The ack in the server's compact form (`{"stream":"S","seq":12}`, with
    /// `"duplicate":true` for a duplicate, other members ignored), read
    /// without a JSON decoder: one arrives per published message. Nil for
    /// anything else (an error reply, escapes in the stream name, another
    /// layout), which then takes the full decoder.
    static func parseCompact(_ payload: [UInt8]) -> PublishAck? {
        payload.withUnsafeBufferPointer { bytes -> PublishAck? in
            guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
            func find(_ key: StaticString) -> Int? {
                let needle = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
                guard needle.count <= bytes.count else { return nil }
                var i = 0
                while i + needle.count <= bytes.count {
                    if bytes[i] == needle[0] {
                        var j = 1
                        while j < needle.count && bytes[i + j] == needle[j] { j += 1 }
                        if j == needle.count { return i + needle.count }
                    }
                    i += 1
                }
                return nil
            }
            func skipSpaces(_ index: Int) -> Int {
                var index = index
                while index < bytes.count && (bytes[index] == 32 || bytes[index] == 9) { index += 1 }
                return index
            }
            if find("\"error\"") != nil { return nil }
            guard let streamKey = find("\"stream\":"), let seqKey = find("\"seq\":") else { return nil }
            let quote = skipSpaces(streamKey)
            guard quote < bytes.count, bytes[quote] == UInt8(ascii: "\"") else { return nil }
            let nameStart = quote + 1
            var nameEnd = nameStart
            while nameEnd < bytes.count && bytes[nameEnd] != UInt8(ascii: "\"") {
                if bytes[nameEnd] == UInt8(ascii: "\\") { return nil }
                nameEnd += 1
            }
            guard nameEnd < bytes.count else { return nil }
            var seqAt = skipSpaces(seqKey)
            var sequence: UInt64 = 0
            let digitsStart = seqAt
            while seqAt < bytes.count, bytes[seqAt] >= UInt8(ascii: "0"), bytes[seqAt] <= UInt8(ascii: "9") {
                let (times, overflow1) = sequence.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[seqAt] - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                sequence = sum
                seqAt += 1
            }
            guard seqAt > digitsStart else { return nil }
            var duplicate = false
            if let duplicateKey = find("\"duplicate\":") {
                let at = skipSpaces(duplicateKey)
                if at + 4 <= bytes.count, bytes[at] == UInt8(ascii: "t"), bytes[at + 1] == UInt8(ascii: "r"),
                   bytes[at + 2] == UInt8(ascii: "u"), bytes[at + 3] == UInt8(ascii: "e") {
                    duplicate = true
                } else if !(at < bytes.count && bytes[at] == UInt8(ascii: "f")) {
                    return nil
                }
            }
            let stream = String(decoding: UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
            return PublishAck(stream: stream, sequence: sequence, duplicate: duplicate)
        }
    }
}
