import Foundation

/// A message as the stream holds it (from `$JS.API.STREAM.MSG.GET`).
public struct StoredMessage: Sendable, Equatable {
    public var subject: String
    /// Its sequence in the stream.
    public var sequence: UInt64
    public var headers: NATSHeaders
    public var payload: [UInt8]

    public init(subject: String, sequence: UInt64, headers: NATSHeaders, payload: [UInt8]) {
        self.subject = subject
        self.sequence = sequence
        self.headers = headers
        self.payload = payload
    }
}

/// The wire shape of a `MSG.GET` reply: headers and data in base64.
struct StoredMessageReply: Decodable {
    struct Body: Decodable {
        var subject: String
        var seq: UInt64
        var hdrs: String?
        var data: String?
    }
    var message: Body

    func decoded() -> StoredMessage? {
        var headers = NATSHeaders()
        if let hdrs = message.hdrs, !hdrs.isEmpty {
            guard let bytes = Data(base64Encoded: hdrs), let parsed = NATSHeaders.decode(Array(bytes)[...]) else { return nil }
            headers = parsed
        }
        var payload: [UInt8] = []
        if let data = message.data, !data.isEmpty {
            guard let bytes = Data(base64Encoded: data) else { return nil }
            payload = Array(bytes)
        }
        return StoredMessage(subject: message.subject, sequence: message.seq, headers: headers, payload: payload)
    }
}
