import Foundation

/// Encoding and decoding of the JetStream JSON API's requests and replies.
enum JetStreamAPI {
    /// The `{"error": {...}}` every API reply may carry.
    struct ErrorReply: Decodable {
        struct Body: Decodable {
            var code: Int
            var err_code: Int?
            var description: String?
        }
        var error: Body?
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    /// Decodes a reply, turning an API error into ``JetStreamError/api``.
    static func decode<T: Decodable>(_ type: T.Type, from message: NATSMessage, server: String, subject: String) throws(JetStreamError) -> T {
        if let status = message.status, message.payload.isEmpty {
            throw .api(server: server, subject: subject, code: status, errorCode: 0, description: message.headers.statusDescription)
        }
        let data = Data(message.payload)
        if let failure = try? JSONDecoder().decode(ErrorReply.self, from: data), let error = failure.error {
            throw .api(server: server, subject: subject, code: error.code, errorCode: error.err_code ?? 0,
                       description: error.description ?? "")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .malformedResponse(server: server, subject: subject,
                                     reason: "\(error) in \(String(decoding: message.payload.prefix(300), as: UTF8.self))")
        }
    }
}
